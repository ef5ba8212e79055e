using NtkDynamics.Tensors;
using NtkDynamics.Theory;

namespace NtkDynamics.Tests.Theory;

public class ArcCosineTests
{
    [Fact]
    public void KappaTakesItsKnownValuesAtSpecialAngles()
    {
        Assert.Equal(1.0, ArcCosine.Kappa0(0), 15);
        Assert.Equal(2.0 / 3, ArcCosine.Kappa0(Math.PI / 3), 15);
        Assert.Equal(0.5, ArcCosine.Kappa0(Math.PI / 2), 15);
        Assert.Equal(0.0, ArcCosine.Kappa0(Math.PI), 15);
        Assert.Equal(1.0, ArcCosine.Kappa1(0), 15);
        Assert.Equal(Math.Sqrt(3) / (2 * Math.PI) + 1.0 / 3, ArcCosine.Kappa1(Math.PI / 3), 14);
        Assert.Equal(1 / Math.PI, ArcCosine.Kappa1(Math.PI / 2), 15);
        Assert.Equal(0.0, ArcCosine.Kappa1(Math.PI), 15);
    }

    [Fact]
    public void OrderOneCarriesTheNormsAndOrderZeroDoesNot()
    {
        // x = (3, 0), y = (0, 2): orthogonal, |x||y| = 6
        Assert.Equal(6 / Math.PI, ArcCosine.Order1(9, 4, 0), 14);
        Assert.Equal(0.5, ArcCosine.Order0(9, 4, 0), 15);
        // x = (1, 0), y = (-2, 0): opposite
        Assert.Equal(0.0, ArcCosine.Order1(1, 4, -2), 15);
        Assert.Equal(0.0, ArcCosine.Order0(1, 4, -2), 15);
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
