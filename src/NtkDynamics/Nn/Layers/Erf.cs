using NtkDynamics.Tensors;

namespace NtkDynamics.Nn.Layers;

/// <summary>y = erf(x) (torch.erf), the activation of the erf networks of NTK theory; dy/dx = 2/√π e^{-x²}. Double precision per element.</summary>
public sealed class Erf : Activation
{
    private static readonly double TwoOverSqrtPi = 2 / Math.Sqrt(Math.PI);

    protected override void Apply(ReadOnlySpan<float> x, Span<float> y)
    {
        for (int i = 0; i < x.Length; i++) y[i] = (float)SpecialFunctions.Erf(x[i]);
    }

    protected override void Derivative(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
    {
        for (int i = 0; i < dy.Length; i++)
        {
            double v = x[i];
            dx[i] = (float)(dy[i] * TwoOverSqrtPi * Math.Exp(-v * v));
        }
    }

    public override string Describe() => "Erf";
}
