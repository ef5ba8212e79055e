using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace NtkDynamics.Nn.Layers;

/// <summary>SiLU (swish): y = x σ(x); dy/dx = σ(x) + x σ(x)(1 - σ(x)) = σ(x) + y (1 - σ(x)).</summary>
public sealed class Silu : Activation
{
    protected override void Apply(ReadOnlySpan<float> x, Span<float> y)
    {
        TensorPrimitives.Sigmoid(x, y);
        TensorPrimitives.Multiply(x, y, y);
    }

    // σ(x) goes into dx first; each element then reads only its own σ.
    protected override void Derivative(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
    {
        TensorPrimitives.Sigmoid(x, dx);
        for (int i = 0; i < dy.Length; i++) dx[i] = dy[i] * (dx[i] + y[i] * (1 - dx[i]));
    }

    public override string Describe() => "SiLU";
}
