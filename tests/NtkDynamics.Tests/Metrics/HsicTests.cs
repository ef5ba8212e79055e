using NtkDynamics.Ntk.Metrics;
using static NtkDynamics.Tests.Metrics.RandomKernels;

namespace NtkDynamics.Tests.Metrics;

public class HsicTests
{
    private readonly double[] _k = Gram(9, 4, 1), _l = Gram(9, 6, 2);

    [Fact]
    public void CkaOfAKernelWithItselfIsOne()
    {
        Close(1, Hsic.Cka(_k, _k), 1e-14);
        Close(1, Hsic.CkaUnbiased(_k, _k), 1e-14);
        Assert.Equal(0, KernelDistance.Centred(_k, _k), 1e-14);
    }

    [Fact]
    public void CkaIsSymmetricAndInvariantToScalingAndOffsets()
    {
        double c = Hsic.Cka(_k, _l);
        Assert.InRange(c, 0.05, 0.99);
        Close(c, Hsic.Cka(_l, _k), 1e-14);
        Close(c, Hsic.Cka(Scaled(_k, 37.5), _l), 1e-12);
        Close(c, Hsic.Cka(_k, Scaled(_l, 1e-3, shift: 5)), 1e-12);
        double u = Hsic.CkaUnbiased(_k, _l);
        Close(u, Hsic.CkaUnbiased(_l, _k), 1e-14);
        Close(u, Hsic.CkaUnbiased(Scaled(_k, 37.5), _l), 1e-12);
        Close(Hsic.Unbiased(_k, _l), Hsic.Unbiased(_k, Scaled(_l, 1, shift: 5)), 1e-10);
    }

    [Fact]
    public void BiasedHsicIsTraceOfKHLHOverNMinusOneSquared()
    {
        int n = 9;
        var h = new double[n, n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                h[i, j] = (i == j ? 1 : 0) - 1.0 / n;
        // tr(K H L H) = Σ_ijpq K_ij H_jp L_pq H_qi
        double trace = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                for (int p = 0; p < n; p++)
                    for (int q = 0; q < n; q++)
                        trace += _k[i * n + j] * h[j, p] * _l[p * n + q] * h[q, i];
        Close(trace / ((n - 1.0) * (n - 1.0)), Hsic.Biased(_k, _l));
    }

    [Fact]
    public void UnbiasedHsicEqualsTheUStatisticOverDistinctQuadruples()
    {
        // Song et al. 2012: HSIC₁ = (1/(n)₄) Σ over distinct (i, j, q, r) of k_ij l_ij + k_ij l_qr - 2 k_ij l_iq.
        int n = 9;
        double sum = 0;
        long count = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                for (int q = 0; q < n; q++)
                    for (int r = 0; r < n; r++)
                    {
                        if (i == j || i == q || i == r || j == q || j == r || q == r) continue;
                        double kij = _k[i * n + j];
                        sum += kij * _l[i * n + j] + kij * _l[q * n + r] - 2 * kij * _l[i * n + q];
                        count++;
                    }
        Assert.Equal(9L * 8 * 7 * 6, count);
        Close(sum / count, Hsic.Unbiased(_k, _l));
    }

    [Fact]
    public void CentringGivesZeroRowAndColumnSums()
    {
        var c = Hsic.Centred(_k);
        for (int i = 0; i < 9; i++)
        {
            Assert.Equal(0, c.Skip(i * 9).Take(9).Sum(), 1e-10);
            Assert.Equal(0, Enumerable.Range(0, 9).Sum(j => c[j * 9 + i]), 1e-10);
        }
    }

    [Fact]
    public void SymmetrisesSlightlyAsymmetricKernels()
    {
        var skewed = (double[])_k.Clone();
        skewed[1] += 1e-3;
        skewed[9] -= 1e-3; // (0,1) and (1,0) now differ, the mean of the pair is unchanged
        Assert.Equal(Hsic.Cka(_k, _l), Hsic.Cka(skewed, _l), 1e-14);
    }

    [Fact]
    public void UnbiasedHsicNeedsFourSamples()
    {
        var e = Assert.Throws<InputException>(() => Hsic.Unbiased(Gram(3, 2, 1), Gram(3, 2, 2)));
        Assert.Contains("needs at least 4 samples", e.Message);
    }

    [Fact]
    public void KernelsOfDifferentSizesAreRejected()
    {
        var e = Assert.Throws<InputException>(() => Hsic.Cka(_k, Gram(5, 2, 1)));
        Assert.Equal("CKA: the kernels differ in size (9 x 9 and 5 x 5)", e.Message);
    }
}
