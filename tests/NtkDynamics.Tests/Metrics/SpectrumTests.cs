using NtkDynamics.Ntk.Metrics;
using static NtkDynamics.Tests.Metrics.RandomKernels;

namespace NtkDynamics.Tests.Metrics;

public class SpectrumTests
{
    [Fact]
    public void EigenvaluesOfKnownMatrices()
    {
        var diagonal = Spectrum.Of([3, 0, 0, 0, 1, 0, 0, 0, 2]);
        AllClose([1.0, 2, 3], diagonal.Ascending, 1e-12);
        AllClose([3.0, 2, 1], diagonal.Descending(), 1e-12);
        AllClose([3.0, 2], diagonal.Top(2), 1e-12);
        Assert.Equal(3, diagonal.Top(10).Length);
        Assert.Equal(3.0, diagonal.ConditionNumber, 1e-12);

        var pair = Spectrum.Of([2, 1, 1, 2]); // eigenvalues 1 and 3
        AllClose([1.0, 3], pair.Ascending, 1e-12);

        // rank one v vᵀ: eigenvalues 0, 0, |v|² = 14
        double[] v = [1, 2, 3];
        var rankOne = Spectrum.Of([.. from a in v from b in v select a * b]);
        Assert.Equal(14, rankOne.Max, 1e-12);
        Assert.Equal(0, rankOne.Ascending[1], 1e-12);
        Assert.Equal(1, rankOne.EffectiveRank, 1e-6);
        Assert.Equal(1, rankOne.ParticipationRatio, 1e-12);
        Assert.True(rankOne.ConditionNumber > 1e12); // λmin is zero up to rounding: +∞ or huge
    }

    [Fact]
    public void RankMeasuresOfIdentityAndZero()
    {
        var eye = new double[25];
        for (int i = 0; i < 5; i++) eye[i * 5 + i] = 4;
        var s = Spectrum.Of(eye);
        Assert.Equal(5, s.EffectiveRank, 1e-12);
        Assert.Equal(5, s.ParticipationRatio, 1e-12);
        Assert.Equal(1, s.ConditionNumber, 1e-12);

        var zero = Spectrum.Of(new double[9]);
        Assert.Equal(0, zero.EffectiveRank);
        Assert.Equal(0, zero.ParticipationRatio);
        Assert.Equal(double.PositiveInfinity, zero.ConditionNumber);
        Assert.Equal(double.PositiveInfinity, Spectrum.Of([1, 0, 0, -1]).ConditionNumber);
    }

    [Fact]
    public void EffectiveRankOfTwoEqualEigenvaluesAndASmallOne()
    {
        // p = (0.45, 0.45, 0.1): exp(-Σ p ln p)
        var s = Spectrum.Of([4.5, 0, 0, 0, 4.5, 0, 0, 0, 1]);
        Close(Math.Exp(-(2 * 0.45 * Math.Log(0.45) + 0.1 * Math.Log(0.1))), s.EffectiveRank, 1e-12);
        Close(100.0 / (2 * 4.5 * 4.5 + 1), s.ParticipationRatio, 1e-12);
    }

    [Fact]
    public void EigenvaluesSumToTheTrace()
    {
        var k = Gram(20, 8, 9);
        Close(Kernels.Trace(k), Spectrum.Of(k).Ascending.Sum(), 1e-12);
    }
}
