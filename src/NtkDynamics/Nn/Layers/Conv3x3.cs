using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace NtkDynamics.Nn.Layers;

/// <summary>
/// A 3x3 convolution with padding 1, stride 1 or 2, without im2col, on 512-bit vectors (Conv2d's training path). Stride 1:
/// a sample's input is padded once into planes of Hp x Wp (Hp = H + 2, Wp = W + 2); on that grid output (oh, ow) sits at
/// q = oh·Wp + ow and tap (i, j) reads q + i·Wp + j. Stride 2: the padded plane is split into its 4 phases
/// (row parity a, column parity b), each Hq x Wq = (Ho + 1) x (Wo + 1), and tap (i, j) reads phase (i mod 2, j mod 2) at
/// q + ⌊i/2⌋·Wq + ⌊j/2⌋ with q = oh·Wq + ow. Either way a run of consecutive q is one shifted load per tap; the columns
/// ow ≥ Wo of that "wide" output are computed and dropped. The input gradient of stride 1 is the same convolution of dy
/// (padded by 1) with the flipped, transposed kernel; at stride 2 each phase of the padded dx is a convolution of dy padded
/// by 1 with the taps of its parity (4, 2, 2 or 1 of them); the weight gradient is dW[co, ci, i, j] = Σ_q dyW[co, q] · x[ci, q +
/// tap(i, j)] with dyW the wide cotangent (zero in the dropped columns).
/// </summary>
internal static unsafe class Conv3x3
{
    /// <summary>Output positions of a register tile: 5 vectors of 16.</summary>
    public const int Tile = 80;

    private static long _flops;

    /// <summary>Flops (2 per multiply-add) of the convolutions done by these kernels in this process, for benchmarks: the
    /// useful ones, 2·Cout·Cin·9 per output position and pass (forward, input gradient, weight gradient).</summary>
    public static long Flops => Interlocked.Read(ref _flops);

    /// <summary>Adds a layer's whole pass to <see cref="Flops"/>.</summary>
    internal static void Count(long flops) => Interlocked.Add(ref _flops, flops);

    private const int V = 16;

    /// <summary>Floats after the last channel of a prepared input that the tiles may read (dropped columns, a short last tile).</summary>
    public const int Slack = 2 * Tile;

    /// <summary>
    /// Where a (C, H, W) input goes for the kernels: <see cref="ChannelFloats"/> floats a channel (padded plane or its 4
    /// phases, then zeros), the wide output Ho x Wq of which Wo columns are kept, and the tap offsets.
    /// </summary>
    public readonly record struct Layout(int Stride, int H, int W)
    {
        public int Ho => Stride == 1 ? H : (H - 1) / 2 + 1;
        public int Wo => Stride == 1 ? W : (W - 1) / 2 + 1;
        /// <summary>Floats of a wide output row.</summary>
        public int Wq => Stride == 1 ? W + 2 : Wo + 1;
        private int PlaneFloats => Stride == 1 ? (H + 2) * Wq : 4 * (Ho + 1) * Wq;
        public int ChannelFloats => PlaneFloats + V;
        /// <summary>Positions of the wide output, and that rounded up to a multiple of 16.</summary>
        public int Wide => Ho * Wq;
        public int Length => (Wide + V - 1) / V * V;

        /// <summary>Whether the kernels take it: 512-bit vectors and a wide output of most of a tile.</summary>
        public bool Fits => Vector512.IsHardwareAccelerated && Wide >= 64;

        /// <summary>taps[i·3 + j]: where tap (i, j) of output q reads, less q, from its channel's start.</summary>
        public void Taps(Span<int> taps)
        {
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 3; j++)
                    taps[i * 3 + j] = Stride == 1 ? i * Wq + j : ((i & 1) * 2 + (j & 1)) * (Ho + 1) * Wq + (i >> 1) * Wq + (j >> 1);
        }

        /// <summary>plane (channels, H, W) -> dst (channels x <see cref="ChannelFloats"/>): padded by 1 (stride 1) or the
        /// padded plane's phases (stride 2; phase (a, b) holds padded rows a, a + 2, ... and columns b, b + 2, ...), zero elsewhere.</summary>
        public void Prepare(ReadOnlySpan<float> plane, int channels, Span<float> dst)
        {
            if (Stride == 1)
            {
                Place(plane, channels, H, W, 1, 1, Wq, dst, ChannelFloats);
                return;
            }
            int hq = Ho + 1, wq = Wq;
            for (int c = 0; c < channels; c++)
            {
                var to = dst.Slice(c * ChannelFloats, ChannelFloats);
                to.Clear();
                for (int y = 0; y < H; y++)
                {
                    var row = plane.Slice((c * H + y) * W, W);
                    int a = (y + 1) & 1, r = (y + 1) >> 1; // padded row y + 1
                    for (int x = 0; x < W; x++) to[((a * 2 + ((x + 1) & 1)) * hq + r) * wq + ((x + 1) >> 1)] = row[x];
                }
            }
        }
    }

    /// <summary>plane (channels, h, w) -> dst: channel c at c·stride, row y at (y + top)·wp + left, zero elsewhere in each
    /// channel's stride floats.</summary>
    public static void Place(ReadOnlySpan<float> plane, int channels, int h, int w, int top, int left, int wp, Span<float> dst, int stride)
    {
        for (int c = 0; c < channels; c++)
        {
            var to = dst.Slice(c * stride, stride);
            to.Clear();
            for (int y = 0; y < h; y++) plane.Slice((c * h + y) * w, w).CopyTo(to[((y + top) * wp + left)..]);
        }
    }

    /// <summary>
    /// y (rows, ho, wo) = alpha · conv(x, w) + bias: x a prepared input (channel c at c·stride, <see cref="Slack"/> readable
    /// floats after the last), taps its <paramref name="tapCount"/> offsets (9: tap t = i·3 + j); w (rows, channels·tapCount),
    /// tap t of channel c at c·tapCount + t; bias (rows) or null; the wide output ho x wq, ho·wq ≥ 64.
    /// </summary>
    public static void Forward(float* x, int stride, int channels, int* taps, int tapCount, int ho, int wq, int wo, float* w, int rows, float alpha, float* bias, float* y)
    {
        int wide = ho * wq, k = channels * tapCount;
        float* tile = stackalloc float[4 * Tile];
        for (int q0 = 0; q0 < wide; q0 += Tile)
        {
            int qs = Math.Max(0, Math.Min(q0, wide - Tile)); // the last tile overlaps the one before: its outputs are written twice, alike
            for (int r0 = 0; r0 < rows; r0 += 4)
            {
                int r = Math.Min(4, rows - r0);
                float* wr = w + (long)r0 * k, b = bias is null ? null : bias + r0;
                switch (r)
                {
                    case 4: Kernel<Four>(x + qs, stride, channels, taps, tapCount, wr, k, alpha, b, tile); break;
                    case 3: Kernel<Three>(x + qs, stride, channels, taps, tapCount, wr, k, alpha, b, tile); break;
                    case 2: Kernel<Two>(x + qs, stride, channels, taps, tapCount, wr, k, alpha, b, tile); break;
                    default: Kernel<One>(x + qs, stride, channels, taps, tapCount, wr, k, alpha, b, tile); break;
                }
                for (int t = 0; t < r; t++) Store(tile + t * Tile, qs, Math.Min(qs + Tile, wide), wq, wo, y + (long)(r0 + t) * ho * wo);
            }
        }
    }

    // tile (TRows, 80) = alpha · Σ_{c, t} w[r, c·T + t] · x[c·stride + taps[t] + q] + bias[r], q < 80, T = tapCount.
    // Register tile: up to 4 rows x 5 vectors (20 accumulators); per tap 5 shifted loads and one broadcast per row.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel<TRows>(float* x, int stride, int channels, int* taps, int tapCount, float* w, int k, float alpha, float* bias, float* tile)
        where TRows : struct, IRows
    {
        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default, a04 = default;
        Vector512<float> a10 = default, a11 = default, a12 = default, a13 = default, a14 = default;
        Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default, a24 = default;
        Vector512<float> a30 = default, a31 = default, a32 = default, a33 = default, a34 = default;
        for (int c = 0; c < channels; c++)
        {
            float* xc = x + (long)c * stride, wc = w + c * tapCount;
            for (int t = 0; t < tapCount; t++)
            {
                float* xt = xc + taps[t], wt = wc + t;
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

    // tile of wide positions qs..end -> y (ho, wo): the columns ow < wo of each wide row it covers.
    private static void Store(float* tile, int qs, int end, int wp, int wo, float* y)
    {
        for (int q = qs; q < end;)
        {
            int oh = q / wp, ow = q - oh * wp;
            if (ow >= wo) { q = (oh + 1) * wp; continue; }
            int len = Math.Min(wo - ow, end - q);
            new ReadOnlySpan<float>(tile + (q - qs), len).CopyTo(new Span<float>(y + oh * wo + ow, len));
            q += len;
        }
    }

    /// <summary>
    /// dw[r, c·9 + t] += alpha · Σ_s Σ_q dy_s[r, q] · x_s[c, q + taps[t]] for the rows r0 .. r0 + count - 1 (count 1 to 3)
    /// and channel c, over <paramref name="samples"/> samples: x_s prepared as for <see cref="Forward"/> (sample s, channel c
    /// at (s·channels + c)·xStride), dy_s the wide cotangent (sample s, row r at (s·rows + r)·dyStride; length a multiple of
    /// 16, zero where ow ≥ Wo and past Ho·Wq).
    /// </summary>
    public static void WeightGradient(float* x, int xStride, int channels, int c, int* taps, float* dy, int dyStride, int rows, int r0, int count,
        int length, int samples, float alpha, float* dw)
    {
        switch (count)
        {
            case 3: WeightGradient<Three>(x, xStride, channels, c, taps, dy, dyStride, rows, r0, length, samples, alpha, dw); break;
            case 2: WeightGradient<Two>(x, xStride, channels, c, taps, dy, dyStride, rows, r0, length, samples, alpha, dw); break;
            default: WeightGradient<One>(x, xStride, channels, c, taps, dy, dyStride, rows, r0, length, samples, alpha, dw); break;
        }
    }

    // Register tile: up to 3 rows x 9 taps (27 accumulators of 16 positions); per 16 positions one load of dy per row and
    // 9 shifted loads of x.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeightGradient<TRows>(float* x, int xStride, int channels, int c, int* taps, float* dy, int dyStride, int rows, int r0,
        int length, int samples, float alpha, float* dw) where TRows : struct, IRows
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default, a8 = default;
        Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default, b4 = default, b5 = default, b6 = default, b7 = default, b8 = default;
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default, c8 = default;
        int o0 = taps[0], o1 = taps[1], o2 = taps[2], o3 = taps[3], o4 = taps[4], o5 = taps[5], o6 = taps[6], o7 = taps[7], o8 = taps[8];
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
                var t = Vector512.Load(xq + o0); a0 = Vector512.FusedMultiplyAdd(u, t, a0);
                if (TRows.Count > 1) b0 = Vector512.FusedMultiplyAdd(v, t, b0);
                if (TRows.Count > 2) c0 = Vector512.FusedMultiplyAdd(w, t, c0);
                t = Vector512.Load(xq + o1); a1 = Vector512.FusedMultiplyAdd(u, t, a1);
                if (TRows.Count > 1) b1 = Vector512.FusedMultiplyAdd(v, t, b1);
                if (TRows.Count > 2) c1 = Vector512.FusedMultiplyAdd(w, t, c1);
                t = Vector512.Load(xq + o2); a2 = Vector512.FusedMultiplyAdd(u, t, a2);
                if (TRows.Count > 1) b2 = Vector512.FusedMultiplyAdd(v, t, b2);
                if (TRows.Count > 2) c2 = Vector512.FusedMultiplyAdd(w, t, c2);
                t = Vector512.Load(xq + o3); a3 = Vector512.FusedMultiplyAdd(u, t, a3);
                if (TRows.Count > 1) b3 = Vector512.FusedMultiplyAdd(v, t, b3);
                if (TRows.Count > 2) c3 = Vector512.FusedMultiplyAdd(w, t, c3);
                t = Vector512.Load(xq + o4); a4 = Vector512.FusedMultiplyAdd(u, t, a4);
                if (TRows.Count > 1) b4 = Vector512.FusedMultiplyAdd(v, t, b4);
                if (TRows.Count > 2) c4 = Vector512.FusedMultiplyAdd(w, t, c4);
                t = Vector512.Load(xq + o5); a5 = Vector512.FusedMultiplyAdd(u, t, a5);
                if (TRows.Count > 1) b5 = Vector512.FusedMultiplyAdd(v, t, b5);
                if (TRows.Count > 2) c5 = Vector512.FusedMultiplyAdd(w, t, c5);
                t = Vector512.Load(xq + o6); a6 = Vector512.FusedMultiplyAdd(u, t, a6);
                if (TRows.Count > 1) b6 = Vector512.FusedMultiplyAdd(v, t, b6);
                if (TRows.Count > 2) c6 = Vector512.FusedMultiplyAdd(w, t, c6);
                t = Vector512.Load(xq + o7); a7 = Vector512.FusedMultiplyAdd(u, t, a7);
                if (TRows.Count > 1) b7 = Vector512.FusedMultiplyAdd(v, t, b7);
                if (TRows.Count > 2) c7 = Vector512.FusedMultiplyAdd(w, t, c7);
                t = Vector512.Load(xq + o8); a8 = Vector512.FusedMultiplyAdd(u, t, a8);
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
