using System.Buffers;
using System.Numerics;

namespace NtkDynamics.Tensors;

/// <summary>
/// Managed fallback for <see cref="IBlas"/>: packed, cache-blocked SIMD GEMM on all cores. Deterministic: every output element is summed by one thread in a fixed order.
/// </summary>
public sealed unsafe class ManagedBlas : IBlas
{
    public static readonly ManagedBlas Instance = new();

    private const int RowTile = 4, KBlock = 256, NBlock = 512;
    private static readonly int W = Vector<float>.Count;

    public string Name => "managed";
    public string? LibraryPath => null;
    public int Threads => Environment.ProcessorCount;

    // Sgemm: pack alpha*op(A) as m x k and op(B) as k x n (row-major), then C(m x n) += Ap Bp,
    // in k-blocks of 256 and n-blocks of 512, row tiles of 4 split across threads.
    public void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
    {
        Scale(c, m, n, ldc, beta);
        if (k == 0 || alpha == 0) return;
        float[] ap = ArrayPool<float>.Shared.Rent(m * k), bp = ArrayPool<float>.Shared.Rent(k * n);
        try
        {
            Pack(a, lda, transA, m, k, alpha, ap);
            Pack(b, ldb, transB, k, n, 1f, bp);
            int tiles = (m + RowTile - 1) / RowTile;
            int workers = Math.Min(Threads, Math.Max(1, (int)((long)m * n * k / 2_000_000)));
            fixed (float* pa = ap) fixed (float* pb = bp)
            {
                float* A = pa, B = pb;
                Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, w =>
                {
                    int t0 = (int)((long)tiles * w / workers), t1 = (int)((long)tiles * (w + 1) / workers);
                    for (int k0 = 0; k0 < k; k0 += KBlock)
                        for (int j0 = 0; j0 < n; j0 += NBlock)
                            for (int t = t0; t < t1; t++)
                                Block(A, B, c, ldc, t * RowTile, Math.Min(RowTile, m - t * RowTile), j0, Math.Min(NBlock, n - j0), k0, Math.Min(KBlock, k - k0), k, n);
                });
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(ap);
            ArrayPool<float>.Shared.Return(bp);
        }
    }

    private static void Pack(float* src, int ld, bool trans, int rows, int cols, float scale, float[] dst)
    {
        for (int r = 0; r < rows; r++)
            for (int q = 0; q < cols; q++)
                dst[r * cols + q] = scale * (trans ? src[q * ld + r] : src[r * ld + q]);
    }

    // C[i0.., j0..] += A[i0.., k0..k0+kb] * B[k0..k0+kb, j0..]; A is m x k, B is k x n (packed).
    private static void Block(float* A, float* B, float* C, int ldc, int i0, int rows, int j0, int cols, int k0, int kb, int k, int n)
    {
        int j = j0, jEnd = j0 + cols;
        if (rows == RowTile)
        {
            for (; j + 2 * W <= jEnd; j += 2 * W)
            {
                Vector<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
                float* a0 = A + i0 * k + k0, a1 = a0 + k, a2 = a1 + k, a3 = a2 + k;
                float* bp = B + k0 * n + j;
                for (int p = 0; p < kb; p++, bp += n)
                {
                    var b0 = *(Vector<float>*)bp;
                    var b1 = *(Vector<float>*)(bp + W);
                    var x = new Vector<float>(a0[p]); c00 += x * b0; c01 += x * b1;
                    x = new Vector<float>(a1[p]); c10 += x * b0; c11 += x * b1;
                    x = new Vector<float>(a2[p]); c20 += x * b0; c21 += x * b1;
                    x = new Vector<float>(a3[p]); c30 += x * b0; c31 += x * b1;
                }
                Add(C + i0 * ldc + j, c00, c01);
                Add(C + (i0 + 1) * ldc + j, c10, c11);
                Add(C + (i0 + 2) * ldc + j, c20, c21);
                Add(C + (i0 + 3) * ldc + j, c30, c31);
            }
        }
        for (int i = i0; i < i0 + rows; i++)
        {
            float* ai = A + i * k + k0;
            for (int jj = j; jj < jEnd; jj++)
            {
                float s = 0;
                for (int p = 0; p < kb; p++) s += ai[p] * B[(k0 + p) * n + jj];
                C[i * ldc + jj] += s;
            }
        }
        // Rows of a partial tile, over the columns the vector loop would have taken.
        if (rows != RowTile)
            for (int i = i0; i < i0 + rows; i++)
            {
                float* ai = A + i * k + k0;
                for (int jj = j0; jj < j; jj++)
                {
                    float s = 0;
                    for (int p = 0; p < kb; p++) s += ai[p] * B[(k0 + p) * n + jj];
                    C[i * ldc + jj] += s;
                }
            }
    }

    private static void Add(float* c, Vector<float> v0, Vector<float> v1)
    {
        *(Vector<float>*)c += v0;
        *(Vector<float>*)(c + W) += v1;
    }

    /// <summary>C *= beta (C = 0 when beta is 0, so NaNs in C do not survive).</summary>
    internal static void Scale<T>(T* c, int m, int n, int ldc, T beta) where T : unmanaged, INumber<T>
    {
        if (beta == T.One) return;
        for (int i = 0; i < m; i++)
        {
            var row = new Span<T>(c + (long)i * ldc, n);
            if (beta == T.Zero) row.Clear();
            else for (int j = 0; j < n; j++) row[j] *= beta;
        }
    }

    // Dgemm: rows of C in parallel; each row accumulates alpha*op(A)[i,p] * op(B)[p,:] (B packed row-major).
    public void Dgemm(bool transA, bool transB, int m, int n, int k, double alpha, double* a, int lda, double* b, int ldb, double beta, double* c, int ldc)
    {
        Scale(c, m, n, ldc, beta);
        if (k == 0 || alpha == 0) return;
        var bp = new double[k * n];
        for (int p = 0; p < k; p++)
            for (int j = 0; j < n; j++)
                bp[p * n + j] = transB ? b[j * ldb + p] : b[p * ldb + j];
        double* A = a, C = c;
        Parallel.For(0, m, i =>
        {
            var ci = new Span<double>(C + (long)i * ldc, n);
            for (int p = 0; p < k; p++)
            {
                double x = alpha * (transA ? A[p * lda + i] : A[i * lda + p]);
                if (x == 0) continue;
                var row = bp.AsSpan(p * n, n);
                int j = 0;
                for (; j + Vector<double>.Count <= n; j += Vector<double>.Count)
                    (new Vector<double>(row[j..]) * x + new Vector<double>(ci[j..])).CopyTo(ci[j..]);
                for (; j < n; j++) ci[j] += x * row[j];
            }
        });
    }
}
