using System.Diagnostics;
using NtkDynamics.Tensors;

namespace NtkDynamics.Bench;

/// <summary>SGEMM GFLOP/s of both backends on square and conv-shaped matrices.</summary>
public static class GemmBench
{
    public static double Gflops(IBlas backend, int m, int n, int k)
    {
        var a = new float[m * k]; var b = new float[k * n]; var c = new float[m * n];
        new Rng(1).FillNormal(a, 1); new Rng(2).FillNormal(b, 1);
        using var _ = Blas.Use(backend);
        Blas.Gemm(false, false, m, n, k, 1f, a, k, b, n, 0f, c, n);
        int reps = Math.Max(1, (int)(2e10 / (2.0 * m * n * k)));
        var sw = Stopwatch.StartNew();
        for (int r = 0; r < reps; r++) Blas.Gemm(false, false, m, n, k, 1f, a, k, b, n, 0f, c, n);
        return 2.0 * m * n * k * reps / sw.Elapsed.TotalSeconds / 1e9;
    }

    // The eNTK's symmetric Gram a aᵀ (m, k) into float64, against sgemm's a aᵀ of the same matrix: GFLOP/s counting the
    // m(m+1)k multiply-adds the triangle needs (sgemm's count for its whole square).
    private static (double Gram, double Gemm) GramGflops(int m, int k)
    {
        var a = new float[(long)m * k]; var c = new float[m * m]; var g = new double[m * m];
        new Rng(1).FillNormal(a, 1);
        int reps = Math.Max(2, (int)(1e10 / (2.0 * m * m * k)));
        var sw = Stopwatch.StartNew();
        unsafe
        {
            fixed (float* pa = a)
                for (int r = 0; r < reps; r++) SymmetricGram.Add(m, k, pa, k, g);
        }
        double gram = (double)m * (m + 1) * k * reps / sw.Elapsed.TotalSeconds / 1e9;
        sw.Restart();
        for (int r = 0; r < reps; r++) Blas.Gemm(false, true, m, m, k, 1f, a, k, a, k, 0f, c, m);
        return (gram, 2.0 * m * m * k * reps / sw.Elapsed.TotalSeconds / 1e9);
    }

    public static void Run()
    {
        var backends = new List<IBlas> { ManagedBlas.Instance };
        if (Blas.Native is OpenBlas open) backends.Insert(0, open);
        Console.WriteLine($"# sgemm; {Blas.Describe(Blas.Native)}");
        foreach (var (m, n, k) in new[] { (1024, 1024, 1024), (2048, 2048, 2048), (64, 8192, 576), (128, 8192, 1152) })
            foreach (var be in backends)
                Console.WriteLine($"sgemm {m}x{n}x{k} {be.Name,-9} {Gflops(be, m, n, k),7:F1} GFLOP/s ({be.Threads} threads)");
        foreach (var (m, k) in new[] { (320, 14400), (320, 57600), (32, 576000) })
        {
            var (gram, gemm) = GramGflops(m, k);
            Console.WriteLine($"symmetric Gram {m}x{k}: {gram,7:F1} GFLOP/s; sgemm a aT {gemm,7:F1} GFLOP/s");
        }
    }
}
