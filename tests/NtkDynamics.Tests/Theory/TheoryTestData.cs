using NtkDynamics.Tensors;

namespace NtkDynamics.Tests.Theory;

/// <summary>Small helpers shared by the Theory tests.</summary>
internal static class TheoryTestData
{
    /// <summary>(rows, cols) standard normal entries.</summary>
    public static double[] Normal(int rows, int cols, ulong seed)
    {
        var rng = new Rng(seed);
        var x = new double[rows * cols];
        for (int i = 0; i < x.Length; i++) x[i] = rng.NextNormal();
        return x;
    }

    public static double MaxAbs(double[] a)
    {
        double m = 0;
        foreach (var v in a) m = Math.Max(m, Math.Abs(v));
        return m;
    }

    public static double MaxAbsDiff(double[] a, double[] b)
    {
        Assert.Equal(a.Length, b.Length);
        double m = 0;
        for (int i = 0; i < a.Length; i++) m = Math.Max(m, Math.Abs(a[i] - b[i]));
        return m;
    }

    /// <summary>Root mean square of a - b relative to the root mean square of b.</summary>
    public static double RelativeRms(double[] a, double[] b)
    {
        double num = 0, den = 0;
        for (int i = 0; i < a.Length; i++) { num += (a[i] - b[i]) * (a[i] - b[i]); den += b[i] * b[i]; }
        return Math.Sqrt(num / den);
    }

    /// <summary>Plain triple loop: a (m, n) times b (n, k).</summary>
    public static double[] Multiply(double[] a, int m, int n, double[] b, int k)
    {
        var c = new double[m * k];
        for (int i = 0; i < m; i++)
            for (int p = 0; p < n; p++)
                for (int j = 0; j < k; j++) c[i * k + j] += a[i * n + p] * b[p * k + j];
        return c;
    }
}
