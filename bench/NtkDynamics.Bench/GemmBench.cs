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

    public static void Run()
    {
        var backends = new List<IBlas> { ManagedBlas.Instance };
        if (Blas.Native is OpenBlas open) backends.Insert(0, open);
        Console.WriteLine($"# sgemm; {Blas.Describe(Blas.Native)}");
        foreach (var (m, n, k) in new[] { (1024, 1024, 1024), (2048, 2048, 2048), (64, 8192, 576), (128, 8192, 1152) })
            foreach (var be in backends)
                Console.WriteLine($"sgemm {m}x{n}x{k} {be.Name,-9} {Gflops(be, m, n, k),7:F1} GFLOP/s ({be.Threads} threads)");
    }
}
