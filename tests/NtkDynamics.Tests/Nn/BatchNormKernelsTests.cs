using NtkDynamics.Nn.Layers;

namespace NtkDynamics.Tests.Nn;

/// <summary>BatchNorm's SIMD plane loops against the scalar formulas, at lengths around the vector width (tails included).</summary>
public class BatchNormKernelsTests
{
    private static float[] Values(int length, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, length).Select(_ => (float)(rng.NextDouble() * 4 - 1.5)).ToArray();
    }

    [Theory]
    [InlineData(0)] [InlineData(1)] [InlineData(7)] [InlineData(16)] [InlineData(33)] [InlineData(1024)]
    public void PlaneLoopsEqualTheScalarFormulas(int s)
    {
        float[] x = Values(s, 1), dy = Values(s, 2);
        const float mean = 0.3f, inv = 1.7f, scale = 0.9f, shift = -0.2f, meanDy = 0.05f, meanDyXhat = -0.4f;

        double sum = 0, squares = 0, absSum = 0, sumDy = 0, sumDyXhat = 0, absDy = 0, absDyXhat = 0;
        for (int e = 0; e < s; e++)
        {
            sum += x[e]; squares += (double)x[e] * x[e]; absSum += Math.Abs(x[e]);
            float p = dy[e] * ((x[e] - mean) * inv);
            sumDy += dy[e]; sumDyXhat += p; absDy += Math.Abs(dy[e]); absDyXhat += Math.Abs(p);
        }
        var (vs, vq) = BatchNormKernels.SumAndSquares(x);
        Close.Sum(sum, vs, s, absSum, "Σx", Close.U64);
        Close.Sum(squares, vq, s, squares, "Σx²", Close.U64);
        var (vd, vp) = BatchNormKernels.CotangentSums(dy, x, mean, inv);
        Close.Sum(sumDy, vd, s, absDy, "Σdy", Close.U64);
        Close.Sum(sumDyXhat, vp, s, absDyXhat, "Σdy·x̂", Close.U64);

        // Element-wise results take the same roundings in the same order: bit for bit.
        var y = new float[s]; var dx = new float[s];
        BatchNormKernels.Affine(x, scale, shift, y);
        BatchNormKernels.TrainInputGradient(dy, x, dx, scale, meanDy, mean, inv, meanDyXhat);
        for (int e = 0; e < s; e++)
        {
            Assert.Equal(x[e] * scale + shift, y[e]);
            Assert.Equal(scale * (dy[e] - meanDy - (x[e] - mean) * inv * meanDyXhat), dx[e]);
        }
    }
}
