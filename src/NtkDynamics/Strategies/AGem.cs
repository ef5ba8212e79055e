using NtkDynamics.Continual;

namespace NtkDynamics.Strategies;

/// <summary>
/// Averaged Gradient Episodic Memory (A-GEM; Chaudhry et al. 2019, "Efficient Lifelong Learning with A-GEM"; Mammoth's
/// models/agem.py): at the end of each task, buffer / tasks random samples of it go into the memory (through the reservoir,
/// as Mammoth's first version did with <c>buffer_size // N_TASKS</c> samples). Each step computes the minibatch's gradient g and
/// the gradient g_ref of the loss on <c>replay_batch</c> samples drawn from the memory; when g·g_ref &lt; 0 the step uses g
/// projected onto the half-space that does not increase the memory's loss, g - (g·g_ref / g_ref·g_ref) g_ref, else g itself.
/// </summary>
public sealed class AGem(StrategyContext context, int buffer, int replayBatch) : ReplayStrategy(context, buffer)
{
    public override string Kind => "agem";

    public override double Step(Samples batch, int task)
    {
        Model.ZeroGrad();
        double loss = Learn(batch).Loss;
        if (Buffer.Count == 0) return loss;
        float[] g = ParameterVector.Gradients(Model);
        Model.ZeroGrad();
        Learn(Buffer.SamplesAt(Buffer.SampleSlots(replayBatch, Rng)));
        Project(g, ParameterVector.Gradients(Model));
        ParameterVector.SetGradients(Model, g);
        return loss;
    }

    public override void EndTask(int task)
    {
        var set = TrainingSet(task);
        int[] order = [.. Enumerable.Range(0, set.Count)];
        Rng.Shuffle(order.AsSpan());
        var labels = Stream.Labels(Data.Split.Train, set.Indices);
        foreach (int i in order.Take(Math.Min(set.Count, Buffer.Capacity / Stream.Tasks.Count)))
            Buffer.Add(set.Indices[i], set.Tasks[i], labels[i], [], Rng);
    }

    /// <summary>
    /// A-GEM's projection in place: when g·r &lt; 0, g ← g - (g·r / r·r) r (then g·r = 0); otherwise g is left as it is.
    /// Dot products in float64. Returns whether it projected.
    /// </summary>
    public static bool Project(Span<float> g, ReadOnlySpan<float> r)
    {
        double gr = 0, rr = 0;
        for (int i = 0; i < g.Length; i++) { gr += (double)g[i] * r[i]; rr += (double)r[i] * r[i]; }
        if (!(gr < 0) || rr == 0) return false;
        double c = gr / rr;
        for (int i = 0; i < g.Length; i++) g[i] = (float)(g[i] - c * r[i]);
        return true;
    }
}
