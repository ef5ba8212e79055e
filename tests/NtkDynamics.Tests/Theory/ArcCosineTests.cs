using NtkDynamics.Tensors;
using NtkDynamics.Theory;

namespace NtkDynamics.Tests.Theory;

public class ArcCosineTests
{
    [Fact]
    public void KappaTakesItsKnownValuesAtSpecialAngles()
    {
        // κ0(θ) = 1 - θ/π, κ1(θ) = (sin θ + (π - θ) cos θ)/π. Exact at 0, π/2 (for κ0) and π (for κ0): the quotients are 0,
        // 1/2 and 1. At π/3: the angle, the quotient and the difference (3 roundings, no cancellation past 1.5x); κ1 there:
        // the angle, sin and cos (2 each), a difference, a product, a sum, a quotient: 9. κ1(π/2) = (1 + (π/2)·cos(fl(π/2)))/π
        // with cos(fl(π/2)) = 6e-17: 1/π to 4 roundings. κ1(fl(π)) = sin(fl(π))/π = 3.9e-17, not 0: within u of 0.
        Assert.Equal(1.0, ArcCosine.Kappa0(0));
        Close.Roundings(2.0 / 3, ArcCosine.Kappa0(Math.PI / 3), 3, 1.5);
        Assert.Equal(0.5, ArcCosine.Kappa0(Math.PI / 2));
        Assert.Equal(0.0, ArcCosine.Kappa0(Math.PI));
        Assert.Equal(1.0, ArcCosine.Kappa1(0));
        Close.Roundings(Math.Sqrt(3) / (2 * Math.PI) + 1.0 / 3, ArcCosine.Kappa1(Math.PI / 3), 9);
        Close.Roundings(1 / Math.PI, ArcCosine.Kappa1(Math.PI / 2), 4);
        Close.Relative(0.0, ArcCosine.Kappa1(Math.PI), 0, abs: Close.U64);
    }

    [Fact]
    public void OrderOneCarriesTheNormsAndOrderZeroDoesNot()
    {
        // x = (3, 0), y = (0, 2): orthogonal, |x||y| = 6
        // √36 = 6 and acos(0) = fl(π/2) exactly, so these are 6 κ1(π/2) (as above, one product more) and κ0(π/2) = 1/2.
        Close.Roundings(6 / Math.PI, ArcCosine.Order1(9, 4, 0), 5);
        Assert.Equal(0.5, ArcCosine.Order0(9, 4, 0));
        // x = (1, 0), y = (-2, 0): opposite
        // acos(-1) = fl(π): κ0 is exactly 0, 2 κ1(fl(π)) within 2u of 0 (as above)
        Close.Relative(0.0, ArcCosine.Order1(1, 4, -2), 0, abs: 2 * Close.U64);
        Assert.Equal(0.0, ArcCosine.Order0(1, 4, -2));
        // parallel: E[relu(u)²] = q/2, E[relu'(u)²] = 1/2
        Assert.Equal((2.5 / 2, 0.5), ArcCosine.Relu(2.5, 2.5, 2.5));
        // a zero vector: relu'(0) = 0
        Assert.Equal((0.0, 0.0), ArcCosine.Relu(0, 1, 0));
    }

    [Theory]
    [InlineData(2.0, 0.5, 0.7)]
    [InlineData(1.0, 3.0, -1.2)]
    public void ReluExpectationsMatchSampledGaussians(double q1, double q2, double s)
    {
        // (u, v) ~ N(0, [[q1, s], [s, q2]]) by a Cholesky factor of the 2x2 covariance
        const int samples = 200_000;
        var rng = new Rng(7);
        double a = Math.Sqrt(q1), b = s / a, c = Math.Sqrt(q2 - b * b);
        double sum = 0, sumSq = 0, sumD = 0, sumDSq = 0;
        for (int i = 0; i < samples; i++)
        {
            double z1 = rng.NextNormal(), z2 = rng.NextNormal(), u = a * z1, v = b * z1 + c * z2;
            double p = Math.Max(u, 0) * Math.Max(v, 0), pd = u > 0 && v > 0 ? 1 : 0;
            sum += p; sumSq += p * p; sumD += pd; sumDSq += pd * pd;
        }
        var (value, derivative) = ArcCosine.Relu(q1, q2, s);
        double mean = sum / samples, se = Math.Sqrt((sumSq / samples - mean * mean) / samples);
        double meanD = sumD / samples, seD = Math.Sqrt((sumDSq / samples - meanD * meanD) / samples);
        Assert.InRange(Math.Abs(value - mean), 0, 4 * se);
        Assert.InRange(Math.Abs(derivative - meanD), 0, 4 * seD);
    }
}
