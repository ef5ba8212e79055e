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
    private static float[] Abs(float[] x) => [.. x.Select(Math.Abs)];

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
                    var abs = Reference(ta, tb, m, n, k, Abs(a), lda, Abs(b), ldb);
                    // C = 0.5 A B + 2 C0 is a float32 sum of k + 1 terms (scaling by powers of 2 is exact); the reference's
                    // float64 sum of the exact products is within 2⁻⁵³·k of it, far inside the float32 bound.
                    for (int i = 0; i < m * n; i++)
                        Close.Sum(0.5 * r[i] + 2 * c0[i], c[i], k + 1, 0.5 * abs[i] + 2 * Math.Abs(c0[i]), $"{backend} {m}x{n}x{k} ta={ta} tb={tb} at {i}");
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
        float[] af = [.. a.Select(x => (float)x)], bf = [.. b.Select(x => (float)x)];
        var r = Reference(true, true, m, n, k, af, m, bf, k);
        var abs = Reference(true, true, m, n, k, Abs(af), m, Abs(bf), k);
        // Products of float32 values are exact in float64, so both are float64 sums of the same k exact terms, in two orders.
        for (int i = 0; i < m * n; i++) Close.Sum(r[i], c[i], k, abs[i], $"{backend} dgemm at {i}", Close.U64);
    }

    [Fact]
    public void CoreIsChosenFromCpuFeatures()
    {
        Assert.Equal("Cooperlake", BlasCore.Choose(new("GenuineIntel", true, true, true, true, true))!.Name);
        Assert.Equal("SkylakeX", BlasCore.Choose(new("GenuineIntel", true, true, true, true, false))!.Name);
        Assert.Equal("Haswell", BlasCore.Choose(new("GenuineIntel", true, true, true, false, false))!.Name);
        Assert.Equal("Zen", BlasCore.Choose(new("AuthenticAMD", true, true, true, false, false))!.Name);
        Assert.Equal("Cooperlake", BlasCore.Choose(new("AuthenticAMD", true, true, true, true, true))!.Name); // Zen 4
        Assert.Equal("Sandybridge", BlasCore.Choose(new("GenuineIntel", true, false, false, false, false))!.Name);
        Assert.Null(BlasCore.Choose(new("GenuineIntel", false, false, false, false, false)));
        Assert.True(BlasCore.Rank("Prescott") < BlasCore.Rank("Haswell"));
        Assert.Equal(BlasCore.Rank("Haswell"), BlasCore.Rank("zen"));
        Assert.True(BlasCore.Rank("SkylakeX") < BlasCore.Rank("Cooperlake"));
    }

    // With OPENBLAS_CORETYPE unset OpenBLAS loads the core chosen from cpuid, never its own Prescott fallback on a
    // CPU with AVX; with it set (scripts/test-cores.sh) it loads what the user asked for, and warns when that is weaker.
    [Fact]
    public void OpenBlasRunsTheCoreChosenForThisCpuOrTheOneTheUserSet()
    {
        if (OpenBlas.TryLoad() is not { } open) return; // managed backend only: no cores
        var best = BlasCore.ForThisCpu();
        string? user = Environment.GetEnvironmentVariable("OPENBLAS_CORETYPE");
        if (string.IsNullOrEmpty(user))
        {
            if (best is null) return;
            Assert.Equal(best.Name, open.Core);
            Assert.StartsWith("chosen by ntk", open.CoreReason);
            Assert.Null(open.CoreWarning);
        }
        else
        {
            Assert.Equal(user, open.Core, ignoreCase: true);
            Assert.Contains("set by the user", open.CoreReason);
            Assert.Equal(best is not null && BlasCore.Rank(user) < BlasCore.Rank(best.Name), open.CoreWarning is not null);
        }
    }
}
