using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace NtkDynamics.Nn.Layers;

/// <summary>y = tanh(x); dy/dx = 1 - y².</summary>
public sealed class Tanh : Activation
{
    protected override void Apply(ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.Tanh(x, y);

    protected override void Derivative(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
    {
        for (int i = 0; i < dy.Length; i++) dx[i] = dy[i] * (1 - y[i] * y[i]);
    }

    public override string Describe() => "Tanh";
}
