using NtkDynamics.Theory;
using Xunit.Abstractions;

namespace NtkDynamics.Tests.Theory;

public class SpectralBiasTests(ITestOutputHelper output)
{
    [Fact]
    public void AmplitudeIsThatOfTheCosineAtTheFrequency()
    {
        const int n = 20;
        var f = Enumerable.Range(0, n).Select(i => 0.7 * Math.Cos(3 * 2 * Math.PI * i / n + 1.1) + 0.2 * Math.Sin(5 * 2 * Math.PI * i / n) + 0.4).ToArray();
        var zero = new double[n];
        // An amplitude is (2/n)|Σ f_i e^(-iωt_i)|: sums of n products whose cosines and sines are within 2u, of samples f_i
        // within a few u themselves (their own cos, sin and sums): within the bound of 3n terms of Σ (2/n)|f_i|, absolute.
        double bound = Close.SumBound(3 * n, 2.0 / n * f.Sum(Math.Abs), Close.U64);
        Close.Relative(0.7, SpectralBias.Amplitude(f, zero, 3), 0, abs: bound);
        Close.Relative(0.2, SpectralBias.Amplitude(f, zero, 5), 0, abs: bound);
        Close.Relative(0.4, SpectralBias.Amplitude(f, zero, 0), 0, abs: bound);
        Close.Relative(0, SpectralBias.Amplitude(f, zero, 4), 0, abs: bound);
    }

    // Low frequencies have the large eigenvalues and are fitted first; a wide network's residual at each frequency
    // halves when (1 − hλ_k)^t does.
    [Fact]
    public void AWideNetworkFitsEachFrequencyWhenTheKernelEigenvalueSaysSo()
    {
        var result = SpectralBias.Run(new SpectralBiasOptions { Points = 32, Frequencies = [1, 2, 4], Width = 8192, Steps = 200, Records = 100, Seed = 2 });
        for (int q = 0; q < 3; q++)
            output.WriteLine($"k = {result.Options.Frequencies[q]}: λ {result.Eigenvalues[q]:g4}, network {result.EmpiricalEigenvalues[q]:g4}, half-life theory {result.TheoryHalfLife(q):g4}, network {result.RealHalfLife(q):g4}");
        Assert.True(result.Eigenvalues[0] > result.Eigenvalues[1] && result.Eigenvalues[1] > result.Eigenvalues[2]);
        Assert.True(result.RealHalfLife(0) < result.RealHalfLife(1) && result.RealHalfLife(1) < result.RealHalfLife(2));
        for (int q = 1; q < 3; q++)
        {
            Assert.InRange(result.RealHalfLife(q) / result.TheoryHalfLife(q), 0.85, 1.2);
            Assert.InRange(result.EmpiricalEigenvalues[q] / result.Eigenvalues[q], 0.9, 1.1);
        }
    }
}
