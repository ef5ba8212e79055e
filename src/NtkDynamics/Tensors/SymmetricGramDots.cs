using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace NtkDynamics.Tensors;

// SymmetricGram for few rows (m ≤ 64, the trace kernel's n x n): A is read as it is, no packing.
public static unsafe partial class SymmetricGram
{
    private const int DotRows = 4, DotBlock = 1024, DotParts = 8;

    // Few rows (m ≤ 64): 4 x 4 tiles of dot products straight from A, in blocks of 1024 columns. The blocks are cut into at
    // most 8 parts of consecutive blocks, a cut that depends on k only; each part is summed, block after block, into its
    // own triangle (m² doubles, small here) by whichever thread takes it, and the parts are then added in their order. So
    // each thread reads only its parts' columns of A, and the result is the same on any number of threads.
    private static void AddByDots(int m, long k, float* a, long lda, double[] upper)
    {
        Interlocked.Add(ref _flops, 2L * ((m + DotRows - 1) / DotRows) * ((m + DotRows - 1) / DotRows + 1) / 2 * DotRows * DotRows * k);
        long blocks = (k + DotBlock - 1) / DotBlock;
        int parts = (int)Math.Min(DotParts, blocks);
        var partial = new double[parts][];
        Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = Threads(parts) }, part =>
        {
            var own = partial[part] = ArrayPool<double>.Shared.Rent(m * m);
            Array.Clear(own, 0, m * m);
            for (long b = blocks * part / parts; b < blocks * (part + 1) / parts; b++)
            {
                long k0 = b * DotBlock, kb = Math.Min(DotBlock, k - k0);
                for (int i = 0; i < m; i += DotRows)
                    for (int j = i; j < m; j += DotRows)
                        DotTile(a + k0, lda, kb, i, Math.Min(DotRows, m - i), j, Math.Min(DotRows, m - j), own, m);
            }
        });
        foreach (var own in partial)
        {
            for (int i = 0; i < m; i++)
                for (int j = i; j < m; j++) upper[i * m + j] += own[i * m + j];
            ArrayPool<double>.Shared.Return(own);
        }
    }

    // own[i.., j..] += rows i.. · rows j.. over kb columns; 4 x 4 tiles of dot products over the first multiple of 16 columns,
    // the rest one dot at a time.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DotTile(float* a, long lda, long kb, int i, int ni, int j, int nj, double[] own, int m)
    {
        long vk = kb / 16 * 16;
        if (ni == DotRows && nj == DotRows)
        {
            if (Wide) WideDotTile(a, lda, vk, i, j, own, m);
            else NarrowDotTile(a, lda, vk, i, j, own, m);
            if (vk < kb)
                for (int x = 0; x < DotRows; x++)
                    for (int y = 0; y < DotRows; y++) own[(i + x) * m + j + y] += Dot(a + (i + x) * lda + vk, a + (j + y) * lda + vk, kb - vk);
            return;
        }
        for (int x = 0; x < ni; x++)
            for (int y = 0; y < nj; y++) own[(i + x) * m + j + y] += Dot(a + (i + x) * lda, a + (j + y) * lda, kb);
    }

    // The 4 x 4 tile in 16 Vector512 accumulators over vk columns (a multiple of 16).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WideDotTile(float* a, long lda, long vk, int i, int j, double[] own, int m)
    {
        float* a0 = a + i * lda, a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda;
        float* b0 = a + j * lda, b1 = b0 + lda, b2 = b1 + lda, b3 = b2 + lda;
        Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default, c10 = default, c11 = default, c12 = default, c13 = default;
        Vector512<float> c20 = default, c21 = default, c22 = default, c23 = default, c30 = default, c31 = default, c32 = default, c33 = default;
        for (long p = 0; p < vk; p += 16)
        {
            var y0 = Vector512.Load(b0 + p); var y1 = Vector512.Load(b1 + p); var y2 = Vector512.Load(b2 + p); var y3 = Vector512.Load(b3 + p);
            var x = Vector512.Load(a0 + p);
            c00 = Vector512.FusedMultiplyAdd(x, y0, c00); c01 = Vector512.FusedMultiplyAdd(x, y1, c01);
            c02 = Vector512.FusedMultiplyAdd(x, y2, c02); c03 = Vector512.FusedMultiplyAdd(x, y3, c03);
            x = Vector512.Load(a1 + p);
            c10 = Vector512.FusedMultiplyAdd(x, y0, c10); c11 = Vector512.FusedMultiplyAdd(x, y1, c11);
            c12 = Vector512.FusedMultiplyAdd(x, y2, c12); c13 = Vector512.FusedMultiplyAdd(x, y3, c13);
            x = Vector512.Load(a2 + p);
            c20 = Vector512.FusedMultiplyAdd(x, y0, c20); c21 = Vector512.FusedMultiplyAdd(x, y1, c21);
            c22 = Vector512.FusedMultiplyAdd(x, y2, c22); c23 = Vector512.FusedMultiplyAdd(x, y3, c23);
            x = Vector512.Load(a3 + p);
            c30 = Vector512.FusedMultiplyAdd(x, y0, c30); c31 = Vector512.FusedMultiplyAdd(x, y1, c31);
            c32 = Vector512.FusedMultiplyAdd(x, y2, c32); c33 = Vector512.FusedMultiplyAdd(x, y3, c33);
        }
        int r0 = i * m + j, r1 = r0 + m, r2 = r1 + m, r3 = r2 + m;
        own[r0] += Vector512.Sum(c00); own[r0 + 1] += Vector512.Sum(c01); own[r0 + 2] += Vector512.Sum(c02); own[r0 + 3] += Vector512.Sum(c03);
        own[r1] += Vector512.Sum(c10); own[r1 + 1] += Vector512.Sum(c11); own[r1 + 2] += Vector512.Sum(c12); own[r1 + 3] += Vector512.Sum(c13);
        own[r2] += Vector512.Sum(c20); own[r2 + 1] += Vector512.Sum(c21); own[r2 + 2] += Vector512.Sum(c22); own[r2 + 3] += Vector512.Sum(c23);
        own[r3] += Vector512.Sum(c30); own[r3 + 1] += Vector512.Sum(c31); own[r3 + 2] += Vector512.Sum(c32); own[r3 + 3] += Vector512.Sum(c33);
    }

    private static float Dot(float* x, float* y, long length) =>
        System.Numerics.Tensors.TensorPrimitives.Dot(new ReadOnlySpan<float>(x, (int)length), new ReadOnlySpan<float>(y, (int)length));
}
