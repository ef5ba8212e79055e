using NtkDynamics.Continual;

namespace NtkDynamics.Strategies;

/// <summary>
/// Experience replay (ER; Chaudhry et al. 2019, "On Tiny Episodic Memories in Continual Learning"; Mammoth's models/er.py):
/// a reservoir buffer of past samples; each step trains on the minibatch concatenated with <c>replay_batch</c> samples drawn
/// from the buffer (one forward, the loss's mean over all rows), then offers the minibatch's samples to the buffer.
/// </summary>
public sealed class ExperienceReplay(StrategyContext context, int buffer, int replayBatch) : ReplayStrategy(context, buffer)
{
    public override string Kind => "er";

    public override double Step(Samples batch, int task)
    {
        Model.ZeroGrad();
        var rows = Buffer.Count > 0 ? batch.Concat(Buffer.SamplesAt(Buffer.SampleSlots(replayBatch, Rng))) : batch;
        var (loss, data, _) = Learn(rows);
        for (int i = 0; i < batch.Count; i++) Buffer.Add(batch.Indices[i], batch.Tasks[i], data.Labels[i], [], Rng);
        return loss;
    }
}
