using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace NtkDynamics.Nn.Layers;

/// <summary>SiLU (swish): y = x σ(x); dy/dx = σ(x) (1 + x (1 - σ(x))).</summary>
public sealed class Silu : Activation
{
    protected override void Apply(ReadOnlySpan<float> x, Span<float> y)
    {
        TensorPrimitives.Sigmoid(x, y);
        TensorPrimitives.Multiply(x, y, y);
    }

    // In double precision: 1 - σ(x) from a float32 σ would lose its digits for large x (e.g. 1.4e-6 at x = 13.5).
    protected override void Derivative(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
    {
        for (int i = 0; i < dy.Length; i++)
        {
            double v = x[i], s = 1 / (1 + Math.Exp(-v));
            dx[i] = (float)(dy[i] * s * (1 + v * (1 - s)));
        }
    }

    public override string Describe() => "SiLU";
}
