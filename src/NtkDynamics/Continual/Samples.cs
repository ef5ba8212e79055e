namespace NtkDynamics.Continual;

/// <summary>
/// Training samples as the trainer and the strategies pass them around: indices into the data set's train split, each
/// with the task whose inputs it is shown as (its domain: a domain-incremental stream shows the same image differently
/// in each task). <see cref="TaskStream.Batch(Data.Split, Samples)"/> turns them into a minibatch.
/// </summary>
public sealed record Samples(int[] Indices, int[] Tasks)
{
    public int Count => Indices.Length;

    /// <summary>Every image of one task, shown as that task.</summary>
    public static Samples OfTask(StreamTask task) => new(task.TrainIndices, Enumerable.Repeat(task.Index, task.TrainIndices.Length).ToArray());

    /// <summary>The samples at <paramref name="positions"/>, in that order.</summary>
    public Samples Pick(ReadOnlySpan<int> positions)
    {
        var indices = new int[positions.Length];
        var tasks = new int[positions.Length];
        for (int i = 0; i < positions.Length; i++) { indices[i] = Indices[positions[i]]; tasks[i] = Tasks[positions[i]]; }
        return new Samples(indices, tasks);
    }

    /// <summary>These samples followed by <paramref name="other"/>'s.</summary>
    public Samples Concat(Samples other) => new([.. Indices, .. other.Indices], [.. Tasks, .. other.Tasks]);
}
