using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NtkDynamics.Tensors;

/// <summary>
/// C += A Aᵀ for a short, wide A (m rows of k: the eNTK's Grams of Jacobian rows, m = n or n·k): only the tiles that reach the
/// diagonal or lie above it, about half a GEMM's work. Up to 64 rows, 4 x 4 tiles of dot products read A as it is. More rows:
/// A is taken in blocks of at most 512 columns, each packed so that one column of 16 rows is one vector, and an 8 x 48 tile of
/// C costs 3 vector loads and 8 broadcasts per 24 FMAs, near the machine's peak: at m = 320 it takes 1/1.3-1/1.4 of the time
/// of OpenBLAS's three GEMMs on the blocks on and above the diagonal, and OpenBLAS's own ssyrk is slower still. Sums are
/// float32 within a block and float64 across blocks.
/// Deterministic: the blocks depend only on m and k, and (more rows) every entry of C is owned by one tile, which adds the
/// blocks' float32 sums in the order of the blocks, or (few rows) the blocks are cut into parts that depend on k only, each
/// summed into its own triangle and the parts added in their order; so the result is the same bits on any number of
/// threads, in any schedule.
/// </summary>
public static unsafe partial class SymmetricGram
{
    private const int Lanes = 16, Rows = 8, Panels = 3, MaxBlock = 512, FewRows = 64;

    // Floats of packed A a group of blocks holds at most: a group is packed once, then every thread works through its tiles
    // of it, so it should sit in the last-level cache (4 MiB).
    private const long GroupFloats = 1 << 20;

    private static long _flops;

    /// <summary>Multiply-add flops (2 per multiply-add) done so far in this process, for benchmarks.</summary>
    public static long Flops => Interlocked.Read(ref _flops);

    /// <summary>At most this many threads (the processor count when 0): for tests that the result does not depend on it.</summary>
    internal static int MaxThreads { get; set; }

    private static int Threads(int tiles) => Math.Clamp(MaxThreads > 0 ? MaxThreads : Environment.ProcessorCount, 1, Math.Max(1, tiles));

    // a: (m, k) row stride lda; c: (m, m) row-major float64, += a aᵀ (both triangles).
    public static void Add(int m, long k, float* a, long lda, double[] c)
    {
        using var sum = new Sum(m);
        sum.Add(k, a, lda);
        sum.AddTo(c);
    }

    /// <summary>
    /// Σ_b A_b A_bᵀ over column blocks A_b (m, k_b) given one call at a time (a Jacobian built chunk by chunk), into one
    /// float64 upper triangle, added into C once, by <see cref="AddTo"/>.
    /// </summary>
    public sealed class Sum(int m) : IDisposable
    {
        private double[]? _upper;

        /// <summary>Adds a aᵀ for a (m, k) of row stride lda.</summary>
        public void Add(long k, float* a, long lda)
        {
            if (m == 0 || k == 0) return;
            if (m <= FewRows) AddByDots(m, k, a, lda, Upper());
            else AddPacked(m, k, a, lda, Upper());
        }

        /// <summary>c (m, m) += scale times the sum so far, both triangles.</summary>
        public void AddTo(double[] c, double scale = 1)
        {
            if (_upper is not { } upper) return;
            for (int i = 0; i < m; i++)
                for (int j = i; j < m; j++)
                {
                    double s = upper[i * m + j] * scale;
                    c[i * m + j] += s;
                    if (j != i) c[j * m + i] += s;
                }
        }

        // The upper triangle (m, m), zeroed when first used. Pooled: a fresh one per call would be page faults every time.
        private double[] Upper()
        {
            if (_upper is { } upper) return upper;
            upper = ArrayPool<double>.Shared.Rent(m * m);
            Array.Clear(upper, 0, m * m);
            return _upper = upper;
        }

        /// <summary>Gives the triangle back to the array pool.</summary>
        public void Dispose()
        {
            if (_upper is { } upper) { ArrayPool<double>.Shared.Return(upper); _upper = null; }
        }
    }

    // Blocks of at most `most` columns, as even as they come: their widths depend only on k.
    private static (long Blocks, int Width) Blocking(long k, int most)
    {
        long blocks = (k + most - 1) / most;
        return (blocks, (int)((k + blocks - 1) / blocks));
    }

    // Per group of blocks of kb columns: each block packed (mp / 16, kb, 16) with mp = m rounded up to 16, zero in the padding
    // rows; then every tile (8 rows from r0, up to 3 panels of 16 columns from the panel holding r0) over the group's blocks in
    // order, into the upper triangle. The tiles are dealt round-robin to the threads, each taking its own in a fixed order.
    private static void AddPacked(int m, long k, float* a, long lda, double[] upper)
    {
        int mp = (m + Lanes - 1) / Lanes * Lanes, panels = mp / Lanes;
        var (blocks, kb) = Blocking(k, MaxBlock);
        var tiles = new List<(int R0, int P0)>();
        long tileFlops = 0;
        int rows = Wide ? Rows : NarrowRows, across = Wide ? Panels : 1;
        for (int r0 = 0; r0 < mp; r0 += rows)
            for (int p0 = r0 / Lanes; p0 < panels; p0 += across)
            {
                tiles.Add((r0, p0));
                tileFlops += (long)rows * Math.Min(across, panels - p0) * Lanes;
            }
        Interlocked.Add(ref _flops, 2 * tileFlops * k);
        int group = (int)Math.Clamp(GroupFloats / ((long)mp * kb), 1, blocks), threads = Threads(tiles.Count);
        var packed = ArrayPool<float>.Shared.Rent(group * mp * kb);
        try
        {
            fixed (float* pp = packed)
            fixed (double* po = upper)
            {
                float* packs = pp;
                double* own = po;
                for (long g0 = 0; g0 < blocks; g0 += group)
                {
                    int count = (int)Math.Min(group, blocks - g0);
                    Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = threads }, b =>
                    {
                        long k0 = (g0 + b) * kb;
                        Pack(a + k0, lda, m, mp, (int)Math.Min(kb, k - k0), packs + (long)b * mp * kb);
                    });
                    Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, w =>
                    {
                        for (int b = 0; b < count; b++)
                        {
                            long k0 = (g0 + b) * kb;
                            int width = (int)Math.Min(kb, k - k0);
                            float* block = packs + (long)b * mp * kb;
                            for (int t = w; t < tiles.Count; t += threads)
                            {
                                var (r0, p0) = tiles[t];
                                if (!Wide) NarrowTile(block, width, r0, p0, m, own);
                                else switch (Math.Min(Panels, panels - p0))
                                {
                                    case 3: Tile<Three>(block, width, r0, p0, m, own); break;
                                    case 2: Tile<Two>(block, width, r0, p0, m, own); break;
                                    default: Tile<One>(block, width, r0, p0, m, own); break;
                                }
                            }
                        }
                    });
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(packed);
        }
    }

    // a (m, kb) of stride lda -> packed (mp / 16, kb, 16): packed[(r / 16) kb 16 + p 16 + r % 16] = a[r, p], zero for r ≥ m.
    // 16 x 16 blocks (AVX-512) or two 8 x 8 ones (AVX2) are transposed in registers; the columns past the last whole block
    // one value at a time.
    private static void Pack(float* a, long lda, int m, int mp, int kb, float* packed)
    {
        float** rows = stackalloc float*[Lanes]; // the live rows only: the others are zeros, never read
        int whole = Avx512F.IsSupported ? kb / Lanes * Lanes : Avx.IsSupported ? kb / 8 * 8 : 0;
        for (int r0 = 0; r0 < mp; r0 += Lanes)
        {
            int live = Math.Clamp(m - r0, 0, Lanes);
            float* dst = packed + (long)r0 * kb;
            for (int r = 0; r < live; r++) rows[r] = a + (r0 + r) * lda;
            if (Avx512F.IsSupported)
                for (int p = 0; p < whole; p += Lanes) Transpose16(rows, p, live, dst + p * Lanes);
            else
                for (int p = 0; p < whole; p += 8)
                {
                    Transpose8(rows, p, live, dst + p * Lanes);
                    Transpose8(rows + 8, p, live - 8, dst + p * Lanes + 8);
                }
            for (int p = whole; p < kb; p++)
                for (int r = 0; r < Lanes; r++) dst[p * Lanes + r] = r < live ? rows[r][p] : 0;
        }
    }

    // out[16 j + r] = rows[r][p + j] for r, j < 16 (rows past `live` are zero): unpack 32-bit, unpack 64-bit, then two
    // rounds of 128-bit lane shuffles.
    private static void Transpose16(float** rows, int p, int live, float* @out)
    {
        Vector512<float> Row(int r) => r < live ? Vector512.Load(rows[r] + p) : Vector512<float>.Zero;
        Vector512<float> r0 = Row(0), r1 = Row(1), r2 = Row(2), r3 = Row(3), r4 = Row(4), r5 = Row(5), r6 = Row(6), r7 = Row(7);
        Vector512<float> r8 = Row(8), r9 = Row(9), r10 = Row(10), r11 = Row(11), r12 = Row(12), r13 = Row(13), r14 = Row(14), r15 = Row(15);
        var t0 = Avx512F.UnpackLow(r0, r1); var t1 = Avx512F.UnpackHigh(r0, r1); var t2 = Avx512F.UnpackLow(r2, r3); var t3 = Avx512F.UnpackHigh(r2, r3);
        var t4 = Avx512F.UnpackLow(r4, r5); var t5 = Avx512F.UnpackHigh(r4, r5); var t6 = Avx512F.UnpackLow(r6, r7); var t7 = Avx512F.UnpackHigh(r6, r7);
        var t8 = Avx512F.UnpackLow(r8, r9); var t9 = Avx512F.UnpackHigh(r8, r9); var t10 = Avx512F.UnpackLow(r10, r11); var t11 = Avx512F.UnpackHigh(r10, r11);
        var t12 = Avx512F.UnpackLow(r12, r13); var t13 = Avx512F.UnpackHigh(r12, r13); var t14 = Avx512F.UnpackLow(r14, r15); var t15 = Avx512F.UnpackHigh(r14, r15);
        static Vector512<float> Lo(Vector512<float> x, Vector512<float> y) => Avx512F.UnpackLow(x.AsDouble(), y.AsDouble()).AsSingle();
        static Vector512<float> Hi(Vector512<float> x, Vector512<float> y) => Avx512F.UnpackHigh(x.AsDouble(), y.AsDouble()).AsSingle();
        r0 = Lo(t0, t2); r1 = Hi(t0, t2); r2 = Lo(t1, t3); r3 = Hi(t1, t3); r4 = Lo(t4, t6); r5 = Hi(t4, t6); r6 = Lo(t5, t7); r7 = Hi(t5, t7);
        r8 = Lo(t8, t10); r9 = Hi(t8, t10); r10 = Lo(t9, t11); r11 = Hi(t9, t11); r12 = Lo(t12, t14); r13 = Hi(t12, t14); r14 = Lo(t13, t15); r15 = Hi(t13, t15);
        t0 = Avx512F.Shuffle4x128(r0, r4, 0x88); t1 = Avx512F.Shuffle4x128(r1, r5, 0x88); t2 = Avx512F.Shuffle4x128(r2, r6, 0x88); t3 = Avx512F.Shuffle4x128(r3, r7, 0x88);
        t4 = Avx512F.Shuffle4x128(r0, r4, 0xDD); t5 = Avx512F.Shuffle4x128(r1, r5, 0xDD); t6 = Avx512F.Shuffle4x128(r2, r6, 0xDD); t7 = Avx512F.Shuffle4x128(r3, r7, 0xDD);
        t8 = Avx512F.Shuffle4x128(r8, r12, 0x88); t9 = Avx512F.Shuffle4x128(r9, r13, 0x88); t10 = Avx512F.Shuffle4x128(r10, r14, 0x88); t11 = Avx512F.Shuffle4x128(r11, r15, 0x88);
        t12 = Avx512F.Shuffle4x128(r8, r12, 0xDD); t13 = Avx512F.Shuffle4x128(r9, r13, 0xDD); t14 = Avx512F.Shuffle4x128(r10, r14, 0xDD); t15 = Avx512F.Shuffle4x128(r11, r15, 0xDD);
        Avx512F.Shuffle4x128(t0, t8, 0x88).Store(@out); Avx512F.Shuffle4x128(t1, t9, 0x88).Store(@out + 16); Avx512F.Shuffle4x128(t2, t10, 0x88).Store(@out + 32); Avx512F.Shuffle4x128(t3, t11, 0x88).Store(@out + 48);
        Avx512F.Shuffle4x128(t4, t12, 0x88).Store(@out + 64); Avx512F.Shuffle4x128(t5, t13, 0x88).Store(@out + 80); Avx512F.Shuffle4x128(t6, t14, 0x88).Store(@out + 96); Avx512F.Shuffle4x128(t7, t15, 0x88).Store(@out + 112);
        Avx512F.Shuffle4x128(t0, t8, 0xDD).Store(@out + 128); Avx512F.Shuffle4x128(t1, t9, 0xDD).Store(@out + 144); Avx512F.Shuffle4x128(t2, t10, 0xDD).Store(@out + 160); Avx512F.Shuffle4x128(t3, t11, 0xDD).Store(@out + 176);
        Avx512F.Shuffle4x128(t4, t12, 0xDD).Store(@out + 192); Avx512F.Shuffle4x128(t5, t13, 0xDD).Store(@out + 208); Avx512F.Shuffle4x128(t6, t14, 0xDD).Store(@out + 224); Avx512F.Shuffle4x128(t7, t15, 0xDD).Store(@out + 240);
    }

    // own[r0 + x, 16 p0 + y] += Σ_p A[r0 + x, p] A[16 p0 + y, p] for x < 8, y < 16·TPanels over the packed block; only
    // entries on or above the diagonal and inside m are kept.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile<TPanels>(float* packed, int kb, int r0, int p0, int m, double* own) where TPanels : struct, IPanels
    {
        float* t = stackalloc float[Rows * Panels * Lanes]; // here, not after the loop: its zeroing is a call, which would spill the sums
        float* x = packed + (long)(r0 / Lanes) * kb * Lanes + r0 % Lanes;
        float* y0 = packed + (long)p0 * kb * Lanes, y1 = y0 + kb * Lanes, y2 = y1 + kb * Lanes;
        Vector512<float> c00 = default, c01 = default, c02 = default, c10 = default, c11 = default, c12 = default;
        Vector512<float> c20 = default, c21 = default, c22 = default, c30 = default, c31 = default, c32 = default;
        Vector512<float> c40 = default, c41 = default, c42 = default, c50 = default, c51 = default, c52 = default;
        Vector512<float> c60 = default, c61 = default, c62 = default, c70 = default, c71 = default, c72 = default;
        for (int p = 0; p < kb; p++, x += Lanes, y0 += Lanes, y1 += Lanes, y2 += Lanes)
        {
            var b0 = Vector512.Load(y0);
            var b1 = TPanels.Count > 1 ? Vector512.Load(y1) : default;
            var b2 = TPanels.Count > 2 ? Vector512.Load(y2) : default;
            var v = Vector512.Create(x[0]); c00 = Vector512.FusedMultiplyAdd(v, b0, c00); if (TPanels.Count > 1) c01 = Vector512.FusedMultiplyAdd(v, b1, c01); if (TPanels.Count > 2) c02 = Vector512.FusedMultiplyAdd(v, b2, c02);
            v = Vector512.Create(x[1]); c10 = Vector512.FusedMultiplyAdd(v, b0, c10); if (TPanels.Count > 1) c11 = Vector512.FusedMultiplyAdd(v, b1, c11); if (TPanels.Count > 2) c12 = Vector512.FusedMultiplyAdd(v, b2, c12);
            v = Vector512.Create(x[2]); c20 = Vector512.FusedMultiplyAdd(v, b0, c20); if (TPanels.Count > 1) c21 = Vector512.FusedMultiplyAdd(v, b1, c21); if (TPanels.Count > 2) c22 = Vector512.FusedMultiplyAdd(v, b2, c22);
            v = Vector512.Create(x[3]); c30 = Vector512.FusedMultiplyAdd(v, b0, c30); if (TPanels.Count > 1) c31 = Vector512.FusedMultiplyAdd(v, b1, c31); if (TPanels.Count > 2) c32 = Vector512.FusedMultiplyAdd(v, b2, c32);
            v = Vector512.Create(x[4]); c40 = Vector512.FusedMultiplyAdd(v, b0, c40); if (TPanels.Count > 1) c41 = Vector512.FusedMultiplyAdd(v, b1, c41); if (TPanels.Count > 2) c42 = Vector512.FusedMultiplyAdd(v, b2, c42);
            v = Vector512.Create(x[5]); c50 = Vector512.FusedMultiplyAdd(v, b0, c50); if (TPanels.Count > 1) c51 = Vector512.FusedMultiplyAdd(v, b1, c51); if (TPanels.Count > 2) c52 = Vector512.FusedMultiplyAdd(v, b2, c52);
            v = Vector512.Create(x[6]); c60 = Vector512.FusedMultiplyAdd(v, b0, c60); if (TPanels.Count > 1) c61 = Vector512.FusedMultiplyAdd(v, b1, c61); if (TPanels.Count > 2) c62 = Vector512.FusedMultiplyAdd(v, b2, c62);
            v = Vector512.Create(x[7]); c70 = Vector512.FusedMultiplyAdd(v, b0, c70); if (TPanels.Count > 1) c71 = Vector512.FusedMultiplyAdd(v, b1, c71); if (TPanels.Count > 2) c72 = Vector512.FusedMultiplyAdd(v, b2, c72);
        }
        const int L = Lanes, W = Panels * Lanes;
        c00.Store(t); c01.Store(t + L); c02.Store(t + 2 * L); c10.Store(t + W); c11.Store(t + W + L); c12.Store(t + W + 2 * L);
        c20.Store(t + 2 * W); c21.Store(t + 2 * W + L); c22.Store(t + 2 * W + 2 * L); c30.Store(t + 3 * W); c31.Store(t + 3 * W + L); c32.Store(t + 3 * W + 2 * L);
        c40.Store(t + 4 * W); c41.Store(t + 4 * W + L); c42.Store(t + 4 * W + 2 * L); c50.Store(t + 5 * W); c51.Store(t + 5 * W + L); c52.Store(t + 5 * W + 2 * L);
        c60.Store(t + 6 * W); c61.Store(t + 6 * W + L); c62.Store(t + 6 * W + 2 * L); c70.Store(t + 7 * W); c71.Store(t + 7 * W + L); c72.Store(t + 7 * W + 2 * L);
        int columns = Math.Min(TPanels.Count * Lanes, m - p0 * Lanes);
        for (int r = 0; r < Rows && r0 + r < m; r++)
        {
            int i = r0 + r;
            double* row = own + (long)i * m + p0 * Lanes;
            for (int col = Math.Max(0, i - p0 * Lanes); col < columns; col++) row[col] += t[r * W + col];
        }
    }

    private interface IPanels { static abstract int Count { get; } }
    private struct One : IPanels { public static int Count => 1; }
    private struct Two : IPanels { public static int Count => 2; }
    private struct Three : IPanels { public static int Count => 3; }
}
