using System.Runtime.InteropServices;
using NtkDynamics.Tensors;

namespace NtkDynamics.Tests;

public class BlasTests
{
    private static float[] Random(int n, ulong seed)
    {
        var x = new float[n];
        new Rng(seed).FillNormal(x, 1);
        return x;
    }

    // Slow obvious row-major reference in float64.
    private static double[] Reference(bool ta, bool tb, int m, int n, int k, float[] a, int lda, float[] b, int ldb)
    {
        var c = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++)
                    s += (double)(ta ? a[p * lda + i] : a[i * lda + p]) * (tb ? b[j * ldb + p] : b[p * ldb + j]);
                c[i * n + j] = s;
            }
        return c;
    }

    public static IEnumerable<object[]> Backends()
    {
        yield return ["managed"];
        if (OpenBlas.TryLoad() is not null) yield return ["openblas"];
    }

    private static IBlas Get(string name) => name == "managed" ? ManagedBlas.Instance : OpenBlas.TryLoad()!;

    [Theory]
    [MemberData(nameof(Backends))]
    public void SgemmMatchesReferenceForEveryTransposeAndOddSizes(string backend)
    {
        using var _ = Blas.Use(Get(backend));
        foreach (var (m, n, k) in new[] { (1, 1, 1), (5, 7, 3), (37, 41, 300), (64, 130, 513), (3, 200, 9) })
            foreach (bool ta in new[] { false, true })
                foreach (bool tb in new[] { false, true })
                {
                    int lda = ta ? m : k, ldb = tb ? k : n;
                    var a = Random(m * k, 1); var b = Random(k * n, 2);
                    var c = Random(m * n, 3);
                    var c0 = (float[])c.Clone();
                    Blas.Gemm(ta, tb, m, n, k, 0.5f, a, lda, b, ldb, 2f, c, n);
                    var r = Reference(ta, tb, m, n, k, a, lda, b, ldb);
                    for (int i = 0; i < m * n; i++)
                        Assert.True(Math.Abs(c[i] - (0.5 * r[i] + 2 * c0[i])) < 1e-4 * (1 + Math.Abs(r[i])), $"{backend} {m}x{n}x{k} ta={ta} tb={tb} at {i}");
                }
    }

    [DllImport("libc")]
    private static extern nint getenv(string name);

    // OpenBLAS reads OPENBLAS_THREAD_TIMEOUT from the C environment when it loads: ours (4) unless the user set one.
    [Fact]
    public void OpenBlasLoadsWithIdleThreadsThatSleep()
    {
        string? user = Environment.GetEnvironmentVariable("OPENBLAS_THREAD_TIMEOUT");
        OpenBlas.TryLoad(); // sets it before looking for the library
        Assert.Equal(user ?? "4", Marshal.PtrToStringAnsi(getenv("OPENBLAS_THREAD_TIMEOUT")));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void BetaZeroClearsNaN(string backend)
    {
        using var _ = Blas.Use(Get(backend));
        var c = new float[] { float.NaN, float.NaN, float.NaN, float.NaN };
        Blas.Gemm(false, false, 2, 2, 1, 1f, new float[] { 1, 2 }, 1, new float[] { 3, 4 }, 2, 0f, c, 2);
        Assert.Equal(new float[] { 3, 4, 6, 8 }, c);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void DgemmMatchesReference(string backend)
    {
        using var _ = Blas.Use(Get(backend));
        int m = 13, n = 17, k = 29;
        var a = Random(k * m, 4).Select(x => (double)x).ToArray();
        var b = Random(n * k, 5).Select(x => (double)x).ToArray();
        var c = new double[m * n];
        Blas.Gemm(true, true, m, n, k, 1.0, a, m, b, k, 0.0, c, n);
        var r = Reference(true, true, m, n, k, a.Select(x => (float)x).ToArray(), m, b.Select(x => (float)x).ToArray(), k);
        for (int i = 0; i < m * n; i++) Assert.Equal(r[i], c[i], 9);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void SymmetricEigenOfKnownMatrix(string backend)
    {
        using var _ = Blas.Use(Get(backend));
        // [[2,1],[1,2]] has eigenvalues 1 and 3 with vectors (1,-1)/√2 and (1,1)/√2.
        var (w, v) = Blas.SymmetricEigen(new double[] { 2, 1, 1, 2 }, 2, vectors: true);
        Assert.Equal(1.0, w[0], 12);
        Assert.Equal(3.0, w[1], 12);
        Assert.Equal(Math.Abs(v![2]), Math.Abs(v[3]), 12);
        Assert.Equal(1 / Math.Sqrt(2), Math.Abs(v[2]), 12);
        // Random symmetric: A v = λ v for every pair.
        int n = 30;
        var x = Random(n * n, 9);
        var s = new double[n * n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) s[i * n + j] = x[i * n + j] + x[j * n + i];
        var (w2, v2) = Blas.SymmetricEigen(s, n, vectors: true);
        for (int r = 0; r < n; r++)
            for (int i = 0; i < n; i++)
            {
                double av = 0;
                for (int j = 0; j < n; j++) av += s[i * n + j] * v2![r * n + j];
                Assert.Equal(w2[r] * v2![r * n + i], av, 9);
            }
        Assert.True(w2.Zip(w2.Skip(1)).All(p => p.First <= p.Second));
    }
}
