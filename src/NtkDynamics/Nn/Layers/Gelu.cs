using NtkDynamics.Tensors;

namespace NtkDynamics.Nn.Layers;

/// <summary>
/// GELU in its exact (erf) form, PyTorch's GELU(approximate='none'): y = x Φ(x) = x (1 + erf(x/√2)) / 2;
/// dy/dx = Φ(x) + x φ(x), φ(x) = e^{-x²/2}/√(2π). Computed per element in double precision.
/// </summary>
public sealed class Gelu : Activation
{
    private static readonly double InvSqrt2 = 1 / Math.Sqrt(2), InvSqrt2Pi = 1 / Math.Sqrt(2 * Math.PI);

    protected override void Apply(ReadOnlySpan<float> x, Span<float> y)
    {
        for (int i = 0; i < x.Length; i++)
        {
            double v = x[i];
            y[i] = (float)(0.5 * v * (1 + SpecialFunctions.Erf(v * InvSqrt2)));
        }
    }

    protected override void Derivative(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
    {
        for (int i = 0; i < dy.Length; i++)
        {
            double v = x[i];
            dx[i] = (float)(dy[i] * (0.5 * (1 + SpecialFunctions.Erf(v * InvSqrt2)) + v * InvSqrt2Pi * Math.Exp(-0.5 * v * v)));
        }
    }

    public override string Describe() => "GELU";
}
