using System.Globalization;
using NtkDynamics.Tensors;

namespace NtkDynamics.Nn.Layers;

/// <summary>
/// PyTorch's Softplus(beta, threshold): y = log(1 + e^{βx}) / β, and y = x where βx > threshold (for numerical stability);
/// dy/dx = σ(βx), and 1 where βx > threshold. Defaults β = 1, threshold = 20. Double precision per element.
/// </summary>
public sealed class Softplus : Activation
{
    public const double DefaultBeta = 1, DefaultThreshold = 20;

    public double Beta { get; }
    public double Threshold { get; }

    public Softplus(double beta = DefaultBeta, double threshold = DefaultThreshold)
    {
        if (!(beta > 0) || !double.IsFinite(beta) || double.IsNaN(threshold))
            throw new ArgumentException($"Softplus: beta must be positive and finite and threshold a number, got {beta}, {threshold}");
        Beta = beta; Threshold = threshold;
    }

    // PyTorch compares β·x in the input's precision (float32 here).
    private bool Linear(float x) => (float)(x * Beta) > Threshold;

    // log(1 + e^z) = max(z, 0) + log(1 + e^{-|z|}), without overflow for large z
    protected override void Apply(ReadOnlySpan<float> x, Span<float> y)
    {
        for (int i = 0; i < x.Length; i++)
        {
            double z = Beta * x[i];
            y[i] = Linear(x[i]) ? x[i] : (float)((Math.Max(z, 0) + SpecialFunctions.LogOnePlus(Math.Exp(-Math.Abs(z)))) / Beta);
        }
    }

    protected override void Derivative(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
    {
        for (int i = 0; i < dy.Length; i++)
            dx[i] = Linear(x[i]) ? dy[i] : (float)(dy[i] / (1 + Math.Exp(-Beta * x[i])));
    }

    public override string Describe() =>
        Beta == DefaultBeta && Threshold == DefaultThreshold ? "Softplus" : $"Softplus(beta {Beta.ToString(CultureInfo.InvariantCulture)}, threshold {Threshold.ToString(CultureInfo.InvariantCulture)})";
}
