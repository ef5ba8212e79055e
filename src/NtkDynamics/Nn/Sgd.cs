using NtkDynamics.Tensors;

namespace NtkDynamics.Nn;

/// <summary>
/// SGD as torch.optim.SGD (dampening 0): g = grad + wd·p; buf = g on the first step, then momentum·buf + g;
/// step = nesterov ? g + momentum·buf : buf; p -= lr · lrScale · step.
/// </summary>
public sealed class Sgd(IReadOnlyList<Parameter> parameters, double lr, double momentum = 0, double weightDecay = 0, bool nesterov = false)
{
    public double LearningRate { get; set; } = lr;
    public double Momentum { get; } = momentum;
    public double WeightDecay { get; } = weightDecay;
    public bool Nesterov { get; } = nesterov;

    /// <summary>Momentum buffers by parameter name; empty until the first step (saved in checkpoints).</summary>
    public Dictionary<string, float[]> Buffers { get; } = [];

    public void Step()
    {
        foreach (var p in parameters)
        {
            float[] w = p.Value.Data, grad = p.Grad.Data;
            float wd = (float)WeightDecay, mu = (float)Momentum, lr = (float)(LearningRate * p.LrScale);
            if (Momentum == 0)
            {
                for (int i = 0; i < w.Length; i++) w[i] -= lr * (grad[i] + wd * w[i]);
                continue;
            }
            bool first = !Buffers.TryGetValue(p.Name, out var buf);
            if (first) Buffers[p.Name] = buf = new float[w.Length];
            for (int i = 0; i < w.Length; i++)
            {
                float g = grad[i] + wd * w[i];
                float b = buf![i] = first ? g : mu * buf[i] + g;
                w[i] -= lr * (Nesterov ? g + mu * b : b);
            }
        }
    }
}
