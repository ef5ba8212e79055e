using System.Globalization;

namespace NtkDynamics.Nn.Layers;

/// <summary>y = x for x > 0, else slope·x (PyTorch's LeakyReLU, slope 0.01 by default); the gradient at 0 is the slope, as PyTorch's.</summary>
public sealed class LeakyRelu : Activation
{
    public const double DefaultSlope = 0.01;

    public float Slope { get; }

    public LeakyRelu(double negativeSlope = DefaultSlope)
    {
        if (!double.IsFinite(negativeSlope)) throw new ArgumentException($"LeakyReLU: the negative slope must be finite, got {negativeSlope}");
        Slope = (float)negativeSlope;
    }

    protected override void Apply(ReadOnlySpan<float> x, Span<float> y)
    {
        for (int i = 0; i < x.Length; i++) y[i] = x[i] > 0 ? x[i] : x[i] * Slope;
    }

    protected override void Derivative(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
    {
        for (int i = 0; i < dy.Length; i++) dx[i] = x[i] > 0 ? dy[i] : dy[i] * Slope;
    }

    public override string Describe() => $"LeakyReLU({Slope.ToString(CultureInfo.InvariantCulture)})";
}
