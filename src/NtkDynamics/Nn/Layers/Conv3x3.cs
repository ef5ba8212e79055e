using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace NtkDynamics.Nn.Layers;

/// <summary>
/// A 3x3 stride-1 convolution without im2col, on 512-bit vectors (Conv2d's training path). A sample's input is padded once
/// into planes of Hp x Wp (Hp = H + 2 ph, Wp = W + 2 pw); on that grid, output (oh, ow) sits at q = oh·Wp + ow and tap (i, j)
/// reads q + i·Wp + j, so a run of consecutive q is one shifted load per tap. The ow ≥ Wo columns of that "wide" output are
/// computed and dropped. The input gradient is the same convolution of dy (padded by 2 - p) with the flipped, transposed
/// kernel; the weight gradient is dW[co, ci, i, j] = Σ_q dyW[co, q] · xpad[ci, q + i·Wp + j] with dyW the wide cotangent
/// (zero in the dropped columns).
/// </summary>
internal static unsafe class Conv3x3
{
    /// <summary>Output positions of a register tile: 5 vectors of 16.</summary>
    public const int Tile = 80;

    private const int V = 16;

    /// <summary>Floats after the last padded plane that the tiles may read (the taps of the dropped columns).</summary>
    public const int Slack = 2 * V;

    /// <summary>Whether the direct path takes a (Ho x Wo) output from a (Hp x Wp) padded plane: 512-bit vectors, and a wide
    /// output Ho·Wp of at least one tile.</summary>
    public static bool Fits(int ho, int wp) => Vector512.IsHardwareAccelerated && ho * wp >= Tile;

    /// <summary>plane (channels, h, w) -> dst (channels, h + 2 ph, w + 2 pw), zero in the padding, channel c at c·stride;
    /// the stride - Hp·Wp floats after each plane are zeroed too.</summary>
    public static void Pad(ReadOnlySpan<float> plane, int channels, int h, int w, int ph, int pw, Span<float> dst, int stride)
    {
        int wp = w + 2 * pw, hp = h + 2 * ph;
        for (int c = 0; c < channels; c++)
        {
            var to = dst.Slice(c * stride, stride);
            to[..(ph * wp + pw)].Clear();
            for (int y = 0; y < h; y++)
            {
                plane.Slice((c * h + y) * w, w).CopyTo(to[((y + ph) * wp + pw)..]);
                to.Slice((y + ph) * wp + pw + w, Math.Min(2 * pw, stride - ((y + ph) * wp + pw + w))).Clear();
            }
            to[((hp - ph) * wp + pw)..].Clear();
        }
    }

    /// <summary>
    /// y (rows, ho, wo) = alpha · conv(x, w) + bias: x (channels, Hp, Wp) padded, channel c at c·stride, with
    /// <see cref="Slack"/> readable floats after the last; w (rows, channels·9), tap (c, i, j) at c·9 + i·3 + j; bias (rows)
    /// or null; wo = Wp - 2, ho·Wp ≥ <see cref="Tile"/>.
    /// </summary>
    public static void Forward(float* x, int stride, int channels, int ho, int wp, float* w, int rows, float alpha, float* bias, float* y)
    {
        int wo = wp - 2, wide = ho * wp, k = channels * 9;
        float* tile = stackalloc float[4 * Tile];
        for (int q0 = 0; q0 < wide; q0 += Tile)
        {
            int qs = Math.Min(q0, wide - Tile); // the last tile overlaps the one before: its outputs are written twice, alike
            for (int r0 = 0; r0 < rows; r0 += 4)
            {
                int r = Math.Min(4, rows - r0);
                float* wr = w + (long)r0 * k, b = bias is null ? null : bias + r0;
                switch (r)
                {
                    case 4: Kernel<Four>(x + qs, stride, channels, wp, wr, k, alpha, b, tile); break;
                    case 3: Kernel<Three>(x + qs, stride, channels, wp, wr, k, alpha, b, tile); break;
                    case 2: Kernel<Two>(x + qs, stride, channels, wp, wr, k, alpha, b, tile); break;
                    default: Kernel<One>(x + qs, stride, channels, wp, wr, k, alpha, b, tile); break;
                }
                for (int t = 0; t < r; t++) Store(tile + t * Tile, qs, wp, wo, y + (long)(r0 + t) * ho * wo);
            }
        }
    }

    // tile (TRows, 80) = alpha · Σ_{c, i, j} w[r, c·9 + i·3 + j] · x[c·stride + i·wp + j + q] + bias[r], q < 80.
    // Register tile: up to 4 rows x 5 vectors (20 accumulators); per tap 5 shifted loads and one broadcast per row.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel<TRows>(float* x, int stride, int channels, int wp, float* w, int k, float alpha, float* bias, float* tile)
        where TRows : struct, IRows
    {
        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default, a04 = default;
        Vector512<float> a10 = default, a11 = default, a12 = default, a13 = default, a14 = default;
        Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default, a24 = default;
        Vector512<float> a30 = default, a31 = default, a32 = default, a33 = default, a34 = default;
        for (int c = 0; c < channels; c++)
        {
            float* xc = x + (long)c * stride, wc = w + c * 9;
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 3; j++)
                {
                    float* xt = xc + i * wp + j, wt = wc + i * 3 + j;
                    var x0 = Vector512.Load(xt); var x1 = Vector512.Load(xt + V); var x2 = Vector512.Load(xt + 2 * V);
                    var x3 = Vector512.Load(xt + 3 * V); var x4 = Vector512.Load(xt + 4 * V);
                    var b = Vector512.Create(wt[0]);
                    a00 = Vector512.FusedMultiplyAdd(b, x0, a00); a01 = Vector512.FusedMultiplyAdd(b, x1, a01); a02 = Vector512.FusedMultiplyAdd(b, x2, a02); a03 = Vector512.FusedMultiplyAdd(b, x3, a03); a04 = Vector512.FusedMultiplyAdd(b, x4, a04);
                    if (TRows.Count > 1) { b = Vector512.Create(wt[k]); a10 = Vector512.FusedMultiplyAdd(b, x0, a10); a11 = Vector512.FusedMultiplyAdd(b, x1, a11); a12 = Vector512.FusedMultiplyAdd(b, x2, a12); a13 = Vector512.FusedMultiplyAdd(b, x3, a13); a14 = Vector512.FusedMultiplyAdd(b, x4, a14); }
                    if (TRows.Count > 2) { b = Vector512.Create(wt[2 * k]); a20 = Vector512.FusedMultiplyAdd(b, x0, a20); a21 = Vector512.FusedMultiplyAdd(b, x1, a21); a22 = Vector512.FusedMultiplyAdd(b, x2, a22); a23 = Vector512.FusedMultiplyAdd(b, x3, a23); a24 = Vector512.FusedMultiplyAdd(b, x4, a24); }
                    if (TRows.Count > 3) { b = Vector512.Create(wt[3 * k]); a30 = Vector512.FusedMultiplyAdd(b, x0, a30); a31 = Vector512.FusedMultiplyAdd(b, x1, a31); a32 = Vector512.FusedMultiplyAdd(b, x2, a32); a33 = Vector512.FusedMultiplyAdd(b, x3, a33); a34 = Vector512.FusedMultiplyAdd(b, x4, a34); }
                }
        }
        var s = Vector512.Create(alpha);
        Put(tile, s, bias is null ? 0f : bias[0], a00, a01, a02, a03, a04);
        if (TRows.Count > 1) Put(tile + Tile, s, bias is null ? 0f : bias[1], a10, a11, a12, a13, a14);
        if (TRows.Count > 2) Put(tile + 2 * Tile, s, bias is null ? 0f : bias[2], a20, a21, a22, a23, a24);
        if (TRows.Count > 3) Put(tile + 3 * Tile, s, bias is null ? 0f : bias[3], a30, a31, a32, a33, a34);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put(float* to, Vector512<float> alpha, float bias, Vector512<float> a0, Vector512<float> a1, Vector512<float> a2, Vector512<float> a3, Vector512<float> a4)
    {
        var b = Vector512.Create(bias);
        Vector512.FusedMultiplyAdd(a0, alpha, b).Store(to); Vector512.FusedMultiplyAdd(a1, alpha, b).Store(to + V);
        Vector512.FusedMultiplyAdd(a2, alpha, b).Store(to + 2 * V); Vector512.FusedMultiplyAdd(a3, alpha, b).Store(to + 3 * V);
        Vector512.FusedMultiplyAdd(a4, alpha, b).Store(to + 4 * V);
    }

    // tile (80) of wide positions qs.. -> y (ho, wo): the columns ow < wo of each wide row it covers.
    private static void Store(float* tile, int qs, int wp, int wo, float* y)
    {
        for (int q = qs; q < qs + Tile;)
        {
            int oh = q / wp, ow = q - oh * wp;
            if (ow >= wo) { q = (oh + 1) * wp; continue; }
            int len = Math.Min(wo - ow, qs + Tile - q);
            new ReadOnlySpan<float>(tile + (q - qs), len).CopyTo(new Span<float>(y + oh * wo + ow, len));
            q += len;
        }
    }

    /// <summary>
    /// dw[r, c·9 + i·3 + j] += alpha · Σ_s Σ_q dy_s[r, q] · x_s[c, q + i·Wp + j] for the rows r0 .. r0 + count - 1 (count 1 to
    /// 3) and channel c, over <paramref name="samples"/> samples: x_s padded as for <see cref="Forward"/> (sample s, channel c
    /// at (s·channels + c)·xStride), dy_s the wide cotangent (sample s, row r at (s·rows + r)·dyStride; length a multiple of
    /// 16, zero where ow ≥ Wo and past Ho·Wp).
    /// </summary>
    public static void WeightGradient(float* x, int xStride, int channels, int c, int wp, float* dy, int dyStride, int rows, int r0, int count,
        int length, int samples, float alpha, float* dw)
    {
        switch (count)
        {
            case 3: WeightGradient<Three>(x, xStride, channels, c, wp, dy, dyStride, rows, r0, length, samples, alpha, dw); break;
            case 2: WeightGradient<Two>(x, xStride, channels, c, wp, dy, dyStride, rows, r0, length, samples, alpha, dw); break;
            default: WeightGradient<One>(x, xStride, channels, c, wp, dy, dyStride, rows, r0, length, samples, alpha, dw); break;
        }
    }

    // Register tile: up to 3 rows x 9 taps (27 accumulators of 16 positions); per 16 positions one load of dy per row and
    // 9 shifted loads of x.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeightGradient<TRows>(float* x, int xStride, int channels, int c, int wp, float* dy, int dyStride, int rows, int r0,
        int length, int samples, float alpha, float* dw) where TRows : struct, IRows
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default, a8 = default;
        Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default, b4 = default, b5 = default, b6 = default, b7 = default, b8 = default;
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default, c8 = default;
        for (int s = 0; s < samples; s++)
        {
            float* xs = x + ((long)s * channels + c) * xStride, d0 = dy + ((long)s * rows + r0) * dyStride;
            float* d1 = TRows.Count > 1 ? d0 + dyStride : d0, d2 = TRows.Count > 2 ? d1 + dyStride : d0;
            for (int q = 0; q < length; q += V)
            {
                float* xq = xs + q;
                var u = Vector512.Load(d0 + q);
                var v = TRows.Count > 1 ? Vector512.Load(d1 + q) : default;
                var w = TRows.Count > 2 ? Vector512.Load(d2 + q) : default;
                var t = Vector512.Load(xq); a0 = Vector512.FusedMultiplyAdd(u, t, a0);
                if (TRows.Count > 1) b0 = Vector512.FusedMultiplyAdd(v, t, b0);
                if (TRows.Count > 2) c0 = Vector512.FusedMultiplyAdd(w, t, c0);
                t = Vector512.Load(xq + 1); a1 = Vector512.FusedMultiplyAdd(u, t, a1);
                if (TRows.Count > 1) b1 = Vector512.FusedMultiplyAdd(v, t, b1);
                if (TRows.Count > 2) c1 = Vector512.FusedMultiplyAdd(w, t, c1);
                t = Vector512.Load(xq + 2); a2 = Vector512.FusedMultiplyAdd(u, t, a2);
                if (TRows.Count > 1) b2 = Vector512.FusedMultiplyAdd(v, t, b2);
                if (TRows.Count > 2) c2 = Vector512.FusedMultiplyAdd(w, t, c2);
                xq += wp;
                t = Vector512.Load(xq); a3 = Vector512.FusedMultiplyAdd(u, t, a3);
                if (TRows.Count > 1) b3 = Vector512.FusedMultiplyAdd(v, t, b3);
                if (TRows.Count > 2) c3 = Vector512.FusedMultiplyAdd(w, t, c3);
                t = Vector512.Load(xq + 1); a4 = Vector512.FusedMultiplyAdd(u, t, a4);
                if (TRows.Count > 1) b4 = Vector512.FusedMultiplyAdd(v, t, b4);
                if (TRows.Count > 2) c4 = Vector512.FusedMultiplyAdd(w, t, c4);
                t = Vector512.Load(xq + 2); a5 = Vector512.FusedMultiplyAdd(u, t, a5);
                if (TRows.Count > 1) b5 = Vector512.FusedMultiplyAdd(v, t, b5);
                if (TRows.Count > 2) c5 = Vector512.FusedMultiplyAdd(w, t, c5);
                xq += wp;
                t = Vector512.Load(xq); a6 = Vector512.FusedMultiplyAdd(u, t, a6);
                if (TRows.Count > 1) b6 = Vector512.FusedMultiplyAdd(v, t, b6);
                if (TRows.Count > 2) c6 = Vector512.FusedMultiplyAdd(w, t, c6);
                t = Vector512.Load(xq + 1); a7 = Vector512.FusedMultiplyAdd(u, t, a7);
                if (TRows.Count > 1) b7 = Vector512.FusedMultiplyAdd(v, t, b7);
                if (TRows.Count > 2) c7 = Vector512.FusedMultiplyAdd(w, t, c7);
                t = Vector512.Load(xq + 2); a8 = Vector512.FusedMultiplyAdd(u, t, a8);
                if (TRows.Count > 1) b8 = Vector512.FusedMultiplyAdd(v, t, b8);
                if (TRows.Count > 2) c8 = Vector512.FusedMultiplyAdd(w, t, c8);
            }
        }
        int k = channels * 9;
        float* o = dw + (long)r0 * k + c * 9;
        AddSums(o, alpha, a0, a1, a2, a3, a4, a5, a6, a7, a8);
        if (TRows.Count > 1) AddSums(o + k, alpha, b0, b1, b2, b3, b4, b5, b6, b7, b8);
        if (TRows.Count > 2) AddSums(o + 2 * k, alpha, c0, c1, c2, c3, c4, c5, c6, c7, c8);
    }

    // o[t] += alpha · Σ lanes of the t-th accumulator, t < 9.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddSums(float* o, float alpha, Vector512<float> s0, Vector512<float> s1, Vector512<float> s2, Vector512<float> s3,
        Vector512<float> s4, Vector512<float> s5, Vector512<float> s6, Vector512<float> s7, Vector512<float> s8)
    {
        o[0] += alpha * Vector512.Sum(s0); o[1] += alpha * Vector512.Sum(s1); o[2] += alpha * Vector512.Sum(s2);
        o[3] += alpha * Vector512.Sum(s3); o[4] += alpha * Vector512.Sum(s4); o[5] += alpha * Vector512.Sum(s5);
        o[6] += alpha * Vector512.Sum(s6); o[7] += alpha * Vector512.Sum(s7); o[8] += alpha * Vector512.Sum(s8);
    }

    private interface IRows { static abstract int Count { get; } }
    private struct One : IRows { public static int Count => 1; }
    private struct Two : IRows { public static int Count => 2; }
    private struct Three : IRows { public static int Count => 3; }
    private struct Four : IRows { public static int Count => 4; }
}
