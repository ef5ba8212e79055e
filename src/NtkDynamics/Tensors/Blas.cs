using System.Runtime.InteropServices;

namespace NtkDynamics.Tensors;

/// <summary>
/// The process-wide matrix-multiply backend: OpenBLAS when libopenblas.so.0 loads, else the managed SIMD
/// fallback (said once on stderr). <see cref="Use"/> overrides it for one scope (tests, benchmarks).
/// </summary>
public static unsafe class Blas
{
    private static readonly Lazy<IBlas> Default = new(Choose);
    private static readonly AsyncLocal<IBlas?> Override = new();

    /// <summary>The backend in effect here.</summary>
    public static IBlas Current => Override.Value ?? Default.Value;

    /// <summary>The backend chosen at start-up (OpenBLAS if available).</summary>
    public static IBlas Native => Default.Value;

    /// <summary>One line for logs and benchmark headers: "openblas (Cooperlake kernels, chosen by ntk: ...), 2 threads".</summary>
    public static string Describe(IBlas backend) => backend is OpenBlas open
        ? $"openblas ({open.Core} kernels, {open.CoreReason}), {open.Threads} threads{(open.CoreWarning is null ? "" : "; WARNING: " + open.CoreWarning)}"
        : $"{backend.Name}, {backend.Threads} threads";

    /// <summary>Runs the calls of this async flow on <paramref name="backend"/> until disposed.</summary>
    public static IDisposable Use(IBlas backend)
    {
        var previous = Override.Value;
        Override.Value = backend;
        return new Restore(() => Override.Value = previous);
    }

    private sealed class Restore(Action undo) : IDisposable
    {
        public void Dispose() => undo();
    }

    private static IBlas Choose()
    {
        if (Environment.GetEnvironmentVariable("NTK_BLAS") is "managed") return ManagedBlas.Instance;
        var open = OpenBlas.TryLoad();
        if (open is not null) return open;
        Console.Error.WriteLine("ntk: libopenblas.so.0 not found (apt-get install libopenblas0-pthread); using the slower managed SIMD backend");
        return ManagedBlas.Instance;
    }

    /// <summary>Row-major C = alpha op(A) op(B) + beta C on the current backend.</summary>
    public static void Gemm(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        if (m == 0 || n == 0) return;
        CheckExtent(a.Length, transA ? k : m, transA ? m : k, lda, "A");
        CheckExtent(b.Length, transB ? n : k, transB ? k : n, ldb, "B");
        CheckExtent(c.Length, m, n, ldc, "C");
        fixed (float* pa = a) fixed (float* pb = b) fixed (float* pc = c)
            Current.Sgemm(transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
    }

    /// <summary>Row-major C = alpha op(A) op(B) + beta C in float64.</summary>
    public static void Gemm(bool transA, bool transB, int m, int n, int k, double alpha,
        ReadOnlySpan<double> a, int lda, ReadOnlySpan<double> b, int ldb, double beta, Span<double> c, int ldc)
    {
        if (m == 0 || n == 0) return;
        CheckExtent(a.Length, transA ? k : m, transA ? m : k, lda, "A");
        CheckExtent(b.Length, transB ? n : k, transB ? k : n, ldb, "B");
        CheckExtent(c.Length, m, n, ldc, "C");
        fixed (double* pa = a) fixed (double* pb = b) fixed (double* pc = c)
            Current.Dgemm(transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
    }

    /// <summary>Eigenvalues of a symmetric matrix (row-major n x n), ascending; eigenvectors as rows of the returned matrix
    /// when asked. Deterministic and the same on every backend (<see cref="Tensors.SymmetricEigen"/>).</summary>
    public static (double[] Values, double[]? Vectors) SymmetricEigen(ReadOnlySpan<double> matrix, int n, bool vectors = false) =>
        Tensors.SymmetricEigen.Compute(matrix, n, vectors);

    private static void CheckExtent(int length, int rows, int cols, int ld, string name)
    {
        if (rows == 0 || cols == 0) return;
        if (ld < cols) throw new ArgumentException($"gemm: leading dimension of {name} ({ld}) is less than its {cols} columns");
        if ((long)(rows - 1) * ld + cols > length)
            throw new ArgumentException($"gemm: {name} needs {(long)(rows - 1) * ld + cols} elements, has {length}");
    }
}
