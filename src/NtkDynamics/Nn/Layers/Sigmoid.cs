using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace NtkDynamics.Nn.Layers;

/// <summary>y = σ(x) = 1 / (1 + e^{-x}); dy/dx = y (1 - y).</summary>
public sealed class Sigmoid : Activation
{
    protected override void Apply(ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.Sigmoid(x, y);

    protected override void Derivative(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
    {
        for (int i = 0; i < dy.Length; i++) dx[i] = dy[i] * y[i] * (1 - y[i]);
    }

    public override string Describe() => "Sigmoid";
}
