using NtkDynamics.Continual;
using NtkDynamics.Data;
using NtkDynamics.Nn;
using NtkDynamics.Tensors;

namespace NtkDynamics.Strategies;

/// <summary>
/// Dark Experience Replay++ (DER++; Buzzega et al. 2020, "Dark Experience for General Continual Learning"; Mammoth's
/// models/derpp.py): a reservoir buffer keeps each sample with the logits the model gave it when it was stored. The
/// objective of a step is
/// <c>L(f(x), y) + α · mean((f(x') - z')²) + β · L(f(x''), y'')</c>, where (x', z') and (x'', y'') are two independent draws
/// of <c>replay_batch</c> samples from the buffer (the mean squared error over all of their logits, as PyTorch's
/// mse_loss). Each term has its own forward pass. β = 0 is DER.
/// </summary>
public sealed class DarkExperienceReplay(StrategyContext context, int buffer, int replayBatch, double alpha, double beta) : ReplayStrategy(context, buffer, context.Stream.NumClasses)
{
    public override string Kind => "derpp";

    public override double Step(Samples batch, int task)
    {
        Model.ZeroGrad();
        var (loss, data, logits) = Learn(batch);
        if (Buffer.Count > 0)
        {
            int[] slots = Buffer.SampleSlots(replayBatch, Rng);
            loss += LogitReplay(Buffer.SamplesAt(slots), Buffer.LogitsAt(slots));
            loss += Learn(Buffer.SamplesAt(Buffer.SampleSlots(replayBatch, Rng)), beta).Loss;
        }
        for (int i = 0; i < batch.Count; i++) Buffer.Add(batch.Indices[i], batch.Tasks[i], data.Labels[i], logits.Rows(i, 1), Rng);
        return loss;
    }

    /// <summary>α · mean((f(x) - z)²) over all logits of <paramref name="samples"/>, its gradient added into the parameters'.</summary>
    // stored: (M, K)
    private double LogitReplay(Samples samples, Tensor stored)
    {
        var output = Model.Forward(Stream.Batch(Split.Train, samples).Images);
        var grad = new Tensor(output.Shape);
        double loss = alpha * Losses.MeanSquaredError(output, stored, grad);
        System.Numerics.Tensors.TensorPrimitives.Multiply(grad.Data, (float)alpha, grad.Data);
        Model.BackwardParameters(grad);
        return loss;
    }
}
