using NtkDynamics.Theory;
using static NtkDynamics.Tests.Theory.TheoryTestData;

namespace NtkDynamics.Tests.Theory;

public class AnalyticNtkTests
{
    private const int N = 7, D = 5;
    private static readonly double[] X = Normal(N, D, 11);

    [Theory]
    [InlineData(1.4142135623730951, 0.0, 1.4142135623730951)]
    [InlineData(1.4142135623730951, 0.1, 1.4142135623730951)]
    [InlineData(1.3, 0.4, 0.7)]
    public void DepthOneRecursionEqualsTheTwoLayerClosedForm(double sigmaW, double sigmaB, double sigmaA)
    {
        var k = AnalyticNtk.Mlp(1, sigmaW, sigmaB, sigmaWLast: sigmaA).Kernel(X, N, D);
        var (nngp, ntk) = TwoLayerNtk.Kernel(X, N, X, N, D, sigmaW, sigmaB, sigmaA);
        Assert.InRange(MaxAbsDiff(k.Nngp, nngp), 0, 1e-14 * MaxAbs(nngp));
        Assert.InRange(MaxAbsDiff(k.Ntk, ntk), 0, 1e-14 * MaxAbs(ntk));
    }

    // Jacot et al.'s recursion written out for one pair: Θ^1 = Σ^1, Θ^{l+1} = Σ^{l+1} + Θ^l Σ̇^{l+1}.
    // Layers 1..L+1 of L hidden layers: σ_w for l <= L, sLast for the output layer L+1.
    private static (double Nngp, double Ntk) Jacot(double[] x, double[] y, int hidden, double sw, double sb, double sLast)
    {
        int d = x.Length;
        double xx = 0, yy = 0, xy = 0, s1 = hidden == 0 ? sLast * sLast : sw * sw;
        for (int c = 0; c < d; c++) { xx += x[c] * x[c]; yy += y[c] * y[c]; xy += x[c] * y[c]; }
        double sxx = s1 * xx / d + sb * sb, syy = s1 * yy / d + sb * sb, sxy = s1 * xy / d + sb * sb;
        double theta = sxy;
        for (int l = 1; l <= hidden; l++)
        {
            double s2 = l == hidden ? sLast * sLast : sw * sw;
            // E[relu(u) relu(v)] and E[relu'(u) relu'(v)] for (u, v) ~ N(0, [[a, c], [c, b]])
            static (double, double) Relu(double a, double b, double c)
            {
                double angle = Math.Acos(Math.Clamp(c / Math.Sqrt(a * b), -1, 1));
                return (Math.Sqrt(a * b) * (Math.Sin(angle) + (Math.PI - angle) * Math.Cos(angle)) / (2 * Math.PI), (Math.PI - angle) / (2 * Math.PI));
            }
            var (exy, dot) = Relu(sxx, syy, sxy);
            sxy = s2 * exy + sb * sb;
            sxx = s2 * Relu(sxx, sxx, sxx).Item1 + sb * sb;
            syy = s2 * Relu(syy, syy, syy).Item1 + sb * sb;
            theta = sxy + theta * s2 * dot;
        }
        return (sxy, theta);
    }

    [Theory]
    [InlineData(0, 0.0)]
    [InlineData(3, 0.0)]
    [InlineData(3, 0.1)]
    [InlineData(5, 0.3)]
    public void KernelMatchesJacotsRecursionAtAnyDepth(int depth, double sigmaB)
    {
        const double sw = 1.4142135623730951, sLast = 0.9;
        var k = AnalyticNtk.Mlp(depth, sw, sigmaB, sigmaWLast: sLast).Kernel(X, N, D);
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++)
            {
                var (nngp, ntk) = Jacot(X[(i * D)..((i + 1) * D)], X[(j * D)..((j + 1) * D)], depth, sw, sigmaB, sLast);
                Assert.Equal(nngp, k.Nngp[i * N + j], 1e-13 * Math.Abs(nngp) + 1e-15);
                Assert.Equal(ntk, k.Ntk[i * N + j], 1e-13 * Math.Abs(ntk) + 1e-15);
            }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public void HeInitialisationWithoutBiasGivesTheKnownDiagonal(int depth)
    {
        // σ_w = √2, σ_b = 0: Σ^l(x, x) = 2|x|²/d at every layer and Σ̇ = 1, so Θ(x, x) = (L + 1) 2|x|²/d
        var k = AnalyticNtk.Mlp(depth).Kernel(X, N, D);
        for (int i = 0; i < N; i++)
        {
            double xx = 0;
            for (int c = 0; c < D; c++) xx += X[i * D + c] * X[i * D + c];
            Assert.Equal(2 * xx / D, k.Nngp[i * N + i], 1e-13);
            Assert.Equal((depth + 1) * 2 * xx / D, k.Ntk[i * N + i], 1e-12);
        }
    }

    [Fact]
    public void CrossKernelIsTheMatchingBlockOfTheJointKernelAndTheJointKernelIsSymmetric()
    {
        var ntk = AnalyticNtk.Mlp(3, sigmaB: 0.1);
        const int n1 = 3;
        var joint = ntk.Kernel(X, N, D, perLayer: true);
        var cross = ntk.Kernel(X[..(n1 * D)], n1, X[(n1 * D)..], N - n1, D, perLayer: true);
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++) Assert.Equal(joint.Ntk[i * N + j], joint.Ntk[j * N + i]);
        for (int i = 0; i < n1; i++)
            for (int j = 0; j < N - n1; j++)
            {
                Assert.Equal(joint.Ntk[i * N + n1 + j], cross.Ntk[i * (N - n1) + j], 1e-14);
                Assert.Equal(joint.Nngp[i * N + n1 + j], cross.Nngp[i * (N - n1) + j], 1e-14);
                Assert.Equal(joint.Weights![1][i * N + n1 + j], cross.Weights![1][i * (N - n1) + j], 1e-14);
            }
    }

    [Fact]
    public void LayerBlocksSumToTheNtkAndTheStandardBlocksAreTheNtkBlocksWithoutTheirSigmas()
    {
        const double sw = 1.5, sb = 0.2, sLast = 0.8;
        var ntk = AnalyticNtk.Mlp(2, sw, sb, Parametrisation.Ntk, sLast).Kernel(X, N, D, perLayer: true);
        var sp = AnalyticNtk.Mlp(2, sw, sb, Parametrisation.Standard, sLast).Kernel(X, N, D, perLayer: true);
        Assert.Equal(ntk.Nngp, sp.Nngp);
        for (int i = 0; i < N * N; i++)
        {
            double sum = 0, limit = 0;
            for (int l = 0; l < 3; l++)
            {
                sum += ntk.Weights![l][i] + ntk.Biases![l][i];
                if (l > 0) limit += sp.Weights![l][i];
                double s2 = l == 2 ? sLast * sLast : sw * sw;
                Assert.Equal(ntk.Weights[l][i], s2 * sp.Weights![l][i], 1e-14);
                Assert.Equal(ntk.Biases[l][i], sb * sb * sp.Biases![l][i], 1e-14);
            }
            Assert.Equal(sum, ntk.Ntk[i], 1e-13);
            Assert.Equal(limit, sp.Ntk[i], 1e-13);
            // a standard network of width 1000: d W_0 + 1000 (W_1 + W_2) + biases
            double atWidth = D * sp.Weights![0][i] + 1000 * limit + sp.Biases![0][i] + sp.Biases[1][i] + sp.Biases[2][i];
            Assert.Equal(atWidth, sp.AtWidth(1000)[i], 1e-10);
        }
        Assert.Equal(ntk.Ntk, ntk.AtWidth(1000));
        Assert.Throws<InvalidOperationException>(() => AnalyticNtk.Mlp(2, parametrisation: Parametrisation.Standard).Kernel(X, N, D).AtWidth(10));
    }

    [Fact]
    public void ZeroBiasMeansNoBiasBlocks()
    {
        var k = AnalyticNtk.Mlp(2, parametrisation: Parametrisation.Standard).Kernel(X, N, D, perLayer: true);
        Assert.All(k.Biases!, b => Assert.All(b, v => Assert.Equal(0.0, v)));
    }

    [Fact]
    public void BadShapesAndSigmasAreRejected()
    {
        Assert.Throws<ArgumentException>(() => AnalyticNtk.Mlp(1).Kernel(X, N, D + 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => AnalyticNtk.Mlp(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => AnalyticNtk.Mlp(1, sigmaW: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => AnalyticNtk.Mlp(1, sigmaB: -0.1));
    }
}
