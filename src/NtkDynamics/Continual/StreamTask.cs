namespace NtkDynamics.Continual;

/// <summary>
/// One task of a stream: its classes (data set class indices) with their weights, the indices of its images in the
/// data set's train and test splits (ascending; the trainer shuffles), its similarity to the first task, its logit mask
/// for the task-incremental head and its own probe.
/// </summary>
public sealed class StreamTask
{
    /// <summary>Position in the stream, from 0.</summary>
    public required int Index { get; init; }

    /// <summary>A short name for logs and file names ("task0", "E3", "alpha=0.30").</summary>
    public required string Name { get; init; }

    /// <summary>The data set class indices the task draws from (weight &gt; 0), in the order given.</summary>
    public required int[] Classes { get; init; }

    /// <summary>The share of each of <see cref="Classes"/> in the task's data, summing to 1.</summary>
    public required double[] Weights { get; init; }

    /// <summary>Indices into the data set's train split, ascending.</summary>
    public required int[] TrainIndices { get; init; }

    /// <summary>Indices into the data set's test split, ascending.</summary>
    public required int[] TestIndices { get; init; }

    /// <summary>Similarity to the first task by the stream's measure (1 for the first task).</summary>
    public required double Similarity { get; init; }

    /// <summary>Over the head's logits: true for this task's classes (the trainer masks the rest under the task-incremental head).</summary>
    public required bool[] Mask { get; init; }

    /// <summary>n samples from this task's distribution (its classes, in proportion to its weights) from the probe split, normalised.</summary>
    public required Probe Probe { get; init; }

    /// <summary>How this task changes its inputs (domain-incremental streams); null when it shows them as they are.</summary>
    public InputTransform? Transform { get; init; }

    /// <summary>
    /// The rows of the stream's probe that belong to this task: those of its classes, or in a domain-incremental stream those
    /// shown as this task. The probe kernel restricted to them is this task's kernel, tracked through later tasks.
    /// </summary>
    public required int[] ProbeRows { get; init; }
}

/// <summary>
/// A fixed probe batch for the empirical NTK: indices into one split, the normalised images (n, C, H, W), their labels in
/// the head's numbering and the task each row is shown as (its input transform; 0 throughout when no task transforms its
/// inputs). Sorted by task, then label, then index, so the kernel shows its class blocks.
/// </summary>
public sealed record Probe(Data.Split Split, int[] Indices, Tensors.Tensor Images, int[] Labels, int[] Tasks);

/// <summary>A minibatch: normalised images (B, C, H, W) and labels in the head's numbering.</summary>
public sealed record Batch(Tensors.Tensor Images, int[] Labels);

/// <summary>
/// Which output head: one head over the union of all tasks' classes (class-incremental, the default), or logits masked
/// to the current task's classes (task-incremental; the trainer applies <see cref="StreamTask.Mask"/>).
/// </summary>
public enum HeadKind { ClassIncremental, TaskIncremental }
