using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NtkDynamics.Tensors;

/// <summary>
/// A GEMM whose right-hand rows are given by pointers: out (rows, width) (+)= hᵀ · [b_0; b_1; ...] for up to 5 left rows at
/// once. The eNTK uses it where a max pool follows a convolution: a pooled cotangent touches one patch per pooled window,
/// so the rows are picked (patch segments of the input, kernel rows of the channels) rather than stored in order.
/// </summary>
public static unsafe partial class GatherGemm
{
    /// <summary>The most rows of h and of out per call.</summary>
    public const int T = 5;

    /// <summary>The width must be a multiple of this (pad rows with zeros).</summary>
    public const int ColumnMultiple = 16;

    private const int Ahead = 4;

    private static long _flops;

    /// <summary>Multiply-add flops (2 per multiply-add) done so far in this process by the eNTK's gathered GEMMs, for benchmarks.</summary>
    public static long Flops => Interlocked.Read(ref _flops);

    /// <summary>Adds a caller's whole pass to <see cref="Flops"/> (once per pass, not per call: the calls are many and small).</summary>
    internal static void Count(long flops) => Interlocked.Add(ref _flops, flops);

    /// <summary>out[t][c] (+)= Σ_s h[t][s] · b[s][c] for t &lt; <paramref name="rows"/> (1 to 5), c &lt; <paramref name="width"/> (a multiple of 16).</summary>
    public static void Multiply(int rows, int q, int width, float** h, float** b, float** @out, bool accumulate = false)
    {
        if (width % ColumnMultiple != 0) throw new ArgumentException($"GatherGemm: width {width} is not a multiple of {ColumnMultiple}");
        switch (rows)
        {
            case 1: Multiply<One>(q, width, h, b, @out, accumulate); break;
            case 2: Multiply<Two>(q, width, h, b, @out, accumulate); break;
            case 3: Multiply<Three>(q, width, h, b, @out, accumulate); break;
            case 4: Multiply<Four>(q, width, h, b, @out, accumulate); break;
            case 5: Multiply<Five>(q, width, h, b, @out, accumulate); break;
            default: throw new ArgumentOutOfRangeException(nameof(rows), rows, $"GatherGemm: 1 to {T} rows");
        }
    }

    // h: rows pointers to q floats; b: q pointers to width floats; out: rows pointers to width floats; width % 16 == 0.
    // out[t][c] (+)= Σ_s h[t][s] · b[s][c]
    // Register tile: up to 5 rows x 64 columns (20 accumulators), then 32- and 16-column tails. The row count is a type, so
    // each instantiation is compiled with only its rows. Picked rows defeat the hardware prefetcher, so the row Ahead
    // iterations on is prefetched by hand.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Multiply<TRows>(int q, int width, float** h, float** b, float** @out, bool accumulate) where TRows : struct, IRows
    {
        if (!Vector512.IsHardwareAccelerated)
        {
            NarrowMultiply<TRows>(q, width, h, b, @out, accumulate);
            return;
        }
        float* h0 = h[0], h1 = TRows.Count > 1 ? h[1] : null, h2 = TRows.Count > 2 ? h[2] : null, h3 = TRows.Count > 3 ? h[3] : null,
            h4 = TRows.Count > 4 ? h[4] : null, o;
        Vector512<float> x;
        int c = 0;
        for (; c + 64 <= width; c += 64)
        {
            Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default;
            Vector512<float> c10 = default, c11 = default, c12 = default, c13 = default;
            Vector512<float> c20 = default, c21 = default, c22 = default, c23 = default;
            Vector512<float> c30 = default, c31 = default, c32 = default, c33 = default;
            Vector512<float> c40 = default, c41 = default, c42 = default, c43 = default;
            for (int s = 0; s < q; s++)
            {
                float* br = b[s] + c;
                if (s + Ahead < q) Prefetch(b[s + Ahead] + c, 4);
                var b0 = Vector512.Load(br); var b1 = Vector512.Load(br + 16); var b2 = Vector512.Load(br + 32); var b3 = Vector512.Load(br + 48);
                x = Vector512.Create(h0[s]); c00 = Vector512.FusedMultiplyAdd(x, b0, c00); c01 = Vector512.FusedMultiplyAdd(x, b1, c01); c02 = Vector512.FusedMultiplyAdd(x, b2, c02); c03 = Vector512.FusedMultiplyAdd(x, b3, c03);
                if (TRows.Count > 1) { x = Vector512.Create(h1[s]); c10 = Vector512.FusedMultiplyAdd(x, b0, c10); c11 = Vector512.FusedMultiplyAdd(x, b1, c11); c12 = Vector512.FusedMultiplyAdd(x, b2, c12); c13 = Vector512.FusedMultiplyAdd(x, b3, c13); }
                if (TRows.Count > 2) { x = Vector512.Create(h2[s]); c20 = Vector512.FusedMultiplyAdd(x, b0, c20); c21 = Vector512.FusedMultiplyAdd(x, b1, c21); c22 = Vector512.FusedMultiplyAdd(x, b2, c22); c23 = Vector512.FusedMultiplyAdd(x, b3, c23); }
                if (TRows.Count > 3) { x = Vector512.Create(h3[s]); c30 = Vector512.FusedMultiplyAdd(x, b0, c30); c31 = Vector512.FusedMultiplyAdd(x, b1, c31); c32 = Vector512.FusedMultiplyAdd(x, b2, c32); c33 = Vector512.FusedMultiplyAdd(x, b3, c33); }
                if (TRows.Count > 4) { x = Vector512.Create(h4[s]); c40 = Vector512.FusedMultiplyAdd(x, b0, c40); c41 = Vector512.FusedMultiplyAdd(x, b1, c41); c42 = Vector512.FusedMultiplyAdd(x, b2, c42); c43 = Vector512.FusedMultiplyAdd(x, b3, c43); }
            }
            o = @out[0] + c; if (accumulate) { c00 += Vector512.Load(o); c01 += Vector512.Load(o + 16); c02 += Vector512.Load(o + 32); c03 += Vector512.Load(o + 48); } c00.Store(o); c01.Store(o + 16); c02.Store(o + 32); c03.Store(o + 48);
            if (TRows.Count > 1) { o = @out[1] + c; if (accumulate) { c10 += Vector512.Load(o); c11 += Vector512.Load(o + 16); c12 += Vector512.Load(o + 32); c13 += Vector512.Load(o + 48); } c10.Store(o); c11.Store(o + 16); c12.Store(o + 32); c13.Store(o + 48); }
            if (TRows.Count > 2) { o = @out[2] + c; if (accumulate) { c20 += Vector512.Load(o); c21 += Vector512.Load(o + 16); c22 += Vector512.Load(o + 32); c23 += Vector512.Load(o + 48); } c20.Store(o); c21.Store(o + 16); c22.Store(o + 32); c23.Store(o + 48); }
            if (TRows.Count > 3) { o = @out[3] + c; if (accumulate) { c30 += Vector512.Load(o); c31 += Vector512.Load(o + 16); c32 += Vector512.Load(o + 32); c33 += Vector512.Load(o + 48); } c30.Store(o); c31.Store(o + 16); c32.Store(o + 32); c33.Store(o + 48); }
            if (TRows.Count > 4) { o = @out[4] + c; if (accumulate) { c40 += Vector512.Load(o); c41 += Vector512.Load(o + 16); c42 += Vector512.Load(o + 32); c43 += Vector512.Load(o + 48); } c40.Store(o); c41.Store(o + 16); c42.Store(o + 32); c43.Store(o + 48); }
        }
        for (; c + 32 <= width; c += 32)
        {
            Vector512<float> c00 = default, c01 = default;
            Vector512<float> c10 = default, c11 = default;
            Vector512<float> c20 = default, c21 = default;
            Vector512<float> c30 = default, c31 = default;
            Vector512<float> c40 = default, c41 = default;
            for (int s = 0; s < q; s++)
            {
                float* br = b[s] + c;
                if (s + Ahead < q) Prefetch(b[s + Ahead] + c, 2);
                var b0 = Vector512.Load(br); var b1 = Vector512.Load(br + 16);
                x = Vector512.Create(h0[s]); c00 = Vector512.FusedMultiplyAdd(x, b0, c00); c01 = Vector512.FusedMultiplyAdd(x, b1, c01);
                if (TRows.Count > 1) { x = Vector512.Create(h1[s]); c10 = Vector512.FusedMultiplyAdd(x, b0, c10); c11 = Vector512.FusedMultiplyAdd(x, b1, c11); }
                if (TRows.Count > 2) { x = Vector512.Create(h2[s]); c20 = Vector512.FusedMultiplyAdd(x, b0, c20); c21 = Vector512.FusedMultiplyAdd(x, b1, c21); }
                if (TRows.Count > 3) { x = Vector512.Create(h3[s]); c30 = Vector512.FusedMultiplyAdd(x, b0, c30); c31 = Vector512.FusedMultiplyAdd(x, b1, c31); }
                if (TRows.Count > 4) { x = Vector512.Create(h4[s]); c40 = Vector512.FusedMultiplyAdd(x, b0, c40); c41 = Vector512.FusedMultiplyAdd(x, b1, c41); }
            }
            o = @out[0] + c; if (accumulate) { c00 += Vector512.Load(o); c01 += Vector512.Load(o + 16); } c00.Store(o); c01.Store(o + 16);
            if (TRows.Count > 1) { o = @out[1] + c; if (accumulate) { c10 += Vector512.Load(o); c11 += Vector512.Load(o + 16); } c10.Store(o); c11.Store(o + 16); }
            if (TRows.Count > 2) { o = @out[2] + c; if (accumulate) { c20 += Vector512.Load(o); c21 += Vector512.Load(o + 16); } c20.Store(o); c21.Store(o + 16); }
            if (TRows.Count > 3) { o = @out[3] + c; if (accumulate) { c30 += Vector512.Load(o); c31 += Vector512.Load(o + 16); } c30.Store(o); c31.Store(o + 16); }
            if (TRows.Count > 4) { o = @out[4] + c; if (accumulate) { c40 += Vector512.Load(o); c41 += Vector512.Load(o + 16); } c40.Store(o); c41.Store(o + 16); }
        }
        if (c < width)
        {
            Vector512<float> c00 = default;
            Vector512<float> c10 = default;
            Vector512<float> c20 = default;
            Vector512<float> c30 = default;
            Vector512<float> c40 = default;
            for (int s = 0; s < q; s++)
            {
                float* br = b[s] + c;
                if (s + Ahead < q) Prefetch(b[s + Ahead] + c, 1);
                var b0 = Vector512.Load(br);
                x = Vector512.Create(h0[s]); c00 = Vector512.FusedMultiplyAdd(x, b0, c00);
                if (TRows.Count > 1) { x = Vector512.Create(h1[s]); c10 = Vector512.FusedMultiplyAdd(x, b0, c10); }
                if (TRows.Count > 2) { x = Vector512.Create(h2[s]); c20 = Vector512.FusedMultiplyAdd(x, b0, c20); }
                if (TRows.Count > 3) { x = Vector512.Create(h3[s]); c30 = Vector512.FusedMultiplyAdd(x, b0, c30); }
                if (TRows.Count > 4) { x = Vector512.Create(h4[s]); c40 = Vector512.FusedMultiplyAdd(x, b0, c40); }
            }
            o = @out[0] + c; if (accumulate) { c00 += Vector512.Load(o); } c00.Store(o);
            if (TRows.Count > 1) { o = @out[1] + c; if (accumulate) { c10 += Vector512.Load(o); } c10.Store(o); }
            if (TRows.Count > 2) { o = @out[2] + c; if (accumulate) { c20 += Vector512.Load(o); } c20.Store(o); }
            if (TRows.Count > 3) { o = @out[3] + c; if (accumulate) { c30 += Vector512.Load(o); } c30.Store(o); }
            if (TRows.Count > 4) { o = @out[4] + c; if (accumulate) { c40 += Vector512.Load(o); } c40.Store(o); }
        }
    }

    // The cache lines of `vectors` x 16 floats from p.
    private static void Prefetch(float* p, int vectors)
    {
        if (!Sse.IsSupported) return;
        for (int l = 0; l < vectors; l++) Sse.Prefetch0(p + 16 * l);
    }

    private interface IRows { static abstract int Count { get; } }
    private struct One : IRows { public static int Count => 1; }
    private struct Two : IRows { public static int Count => 2; }
    private struct Three : IRows { public static int Count => 3; }
    private struct Four : IRows { public static int Count => 4; }
    private struct Five : IRows { public static int Count => 5; }
}
