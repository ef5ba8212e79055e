using NtkDynamics.Tensors;

namespace NtkDynamics.Tests.Metrics;

internal static class RandomKernels
{
    /// <summary>A random PSD Gram matrix A Aᵀ, A (n, d) standard normal, row-major (n, n).</summary>
    public static double[] Gram(int n, int d, ulong seed)
    {
        var a = Theory.TheoryTestData.Normal(n, d, seed);
        var k = new double[n * n];
        Blas.Gemm(false, true, n, n, d, 1.0, a, d, a, d, 0.0, k, n);
        return k;
    }

    public static double[] Scaled(double[] k, double s, double shift = 0) => k.Select(v => s * v + shift).ToArray();

    public static void Close(double expected, double actual, double rel = 1e-10) =>
        Assert.True(Math.Abs(expected - actual) <= rel * Math.Max(1e-300, Math.Abs(expected)), $"expected {expected}, got {actual}");

    public static void AllClose(double[] expected, double[] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], tolerance);
    }
}
