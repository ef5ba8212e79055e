using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using NtkDynamics.Tensors;

namespace NtkDynamics.Nn.Layers;

/// <summary>
/// A Conv2d's input gradient from pooled output cotangents (<see cref="OutputCotangents.IsPooled"/>), without their dense
/// scatter: each pooled value adds one copy of its channel's kernel around its source, a quarter of the dense work.
/// In pooled window (wy, wx) a channel's source sits at phase (sy, sx) ∈ {0, 1}²; for each phase, the channels that have
/// it give Σ_co V[co] s_w W[co, :, kh, :] for each kernel row kh (a <see cref="GatherGemm"/> over those channels), added
/// into a channels-last padded input plane at (2wy + sy + kh, 2wx + sx). Needs Cin a multiple of the GEMM's width.
/// When the input is itself a ReLU's max pool, the gradient can leave already times [input &gt; 0], the ReLU's gradient at
/// those maxima, which is all that the pooled cotangents of the block below need (Ntk/Fusions/ConvReluPool).
/// </summary>
internal static unsafe class PooledInputGradient
{
    /// <summary>Whether <paramref name="conv"/> has a square kernel, stride 1 and input channels that fit the GEMM's width.</summary>
    public static bool Supports(Conv2d conv) => conv.IsSquareUnitStride && conv.InChannels % GatherGemm.ColumnMultiple == 0;

    // oc: values (R, Cout, Q), sources (n, Cout, Q) in the (Ho, Wo) output plane; x: (n, Cin, H, W) -> dx (R, Cin, H, W),
    // times [x > 0] when maskByInput.
    // Per sample: order (Q, Cout) = each window's channels grouped by phase, start (Q, 5) = where each phase's group starts,
    // at (Q, Cout) = where those values sit in a row's (Cout, Q).
    // Per 5 rows t: H (T, Q, Cout) = values in that order (gathered); per kernel row kh, block of its columns, window u and phase:
    //   acc[t, 2wy + sy + kh, 2wx + sx + (0..k), :] += Σ_j H[t, u, j] Wr[order[u, j], kh, :, :]   (Wr = s_w W as (Cout, k, k, Cin))
    public static Tensor Compute(Conv2d conv, Tensor x, OutputCotangents oc, ref Tensor? dxBuffer, bool maskByInput = false)
    {
        const int T = GatherGemm.T;
        int n = x.Shape[0], cin = conv.InChannels, cout = conv.OutChannels, h = x.Shape[2], w = x.Shape[3], kk = conv.Window.KernelH, pad = conv.Window.PadH;
        int wo = oc.DenseShape[3], q = oc.Values.Shape[2], qw = wo / 2, qh = oc.DenseShape[2] / 2, kp = kk * kk * cin;
        int hp = Math.Max(h + pad, 2 * qh + kk - 1), wp = Math.Max(w + pad, 2 * qw + kk - 1), plane = hp * wp * cin;
        int rows = oc.Rows, perSample = rows / n;
        var kernelRows = KernelRows(conv);
        var phaseOf = Phases(oc.DenseShape[2], wo);
        var windowAt = new int[q]; // where pooled window u's top left corner sits in the padded channels-last plane
        for (int u = 0; u < q; u++) windowAt[u] = (2 * (u / qw) * wp + 2 * (u % qw)) * cin;
        var cropAt = new int[h * w]; // where each pixel (y, x) of the input sits in the padded channels-last plane
        for (int e = 0; e < h * w; e++) cropAt[e] = ((e / w + pad) * wp + e % w + pad) * cin;
        // Columns per pass: Wr's block for all channels (Cout x block) stays within 512 KiB of cache.
        int block = Math.Clamp((1 << 17) / cout / GatherGemm.ColumnMultiple * GatherGemm.ColumnMultiple, GatherGemm.ColumnMultiple, kk * cin);
        var dx = Tensor.ReuseUninitialized(ref dxBuffer, [rows, cin, h, w]); // every entry is cropped into
        float[] v = oc.Values.Data, dd = dx.Data, xd = x.Data;
        int[] src = oc.Sources!;
        Parallel.For(0, n, TensorMath.Options((long)rows * q * cout * kp),
            () => (Order: new int[q * cout], At: new int[q * cout], Start: new int[q * 5], H: new float[T * q * cout], Acc: new float[T * plane]),
            (i, _, s) =>
        {
            GroupByPhase(src, phaseOf, i, cout, q, s.Order, s.Start);
            for (int u = 0; u < q; u++) // in the phase order: where each value sits in a row's (Cout, Q) values
                for (int j = 0; j < cout; j++) s.At[u * cout + j] = s.Order[u * cout + j] * q + u;
            float** hs = stackalloc float*[T];
            float** po = stackalloc float*[T];
            float** b = stackalloc float*[cout];
            fixed (float* pw = kernelRows, ph = s.H, pa = s.Acc, pd = dd, px = xd, pv = v)
            fixed (int* crop = cropAt, order = s.Order, valueAt = s.At)
                for (int t0 = 0; t0 < perSample; t0 += T)
                {
                    int tn = Math.Min(T, perSample - t0);
                    for (int t = 0; t < tn; t++) Gather.Floats(pv + (long)((t0 + t) * n + i) * cout * q, valueAt, q * cout, ph + t * q * cout);
                    s.Acc.AsSpan(0, tn * plane).Clear();
                    for (int kh = 0; kh < kk; kh++)
                        for (int c0 = 0; c0 < kk * cin; c0 += block) // columns of one kernel row: contiguous in Wr and in acc
                        {
                            int width = Math.Min(block, kk * cin - c0);
                            for (int u = 0; u < q; u++)
                                for (int phase = 0; phase < 4; phase++)
                                {
                                    int j0 = s.Start[u * 5 + phase], m = s.Start[u * 5 + phase + 1] - j0;
                                    if (m == 0) continue;
                                    int at = windowAt[u] + ((phase / 2 + kh) * wp + phase % 2) * cin + c0;
                                    for (int t = 0; t < tn; t++) { hs[t] = ph + (t * q + u) * cout + j0; po[t] = pa + t * plane + at; }
                                    float* kernelRow = pw + kh * kk * cin + c0;
                                    for (int j = 0; j < m; j++) b[j] = kernelRow + (long)order[u * cout + j0 + j] * kp;
                                    GatherGemm.Multiply(tn, m, width, hs, b, po, accumulate: true);
                                }
                        }
                    for (int t = 0; t < tn; t++) Crop(pa + t * plane, crop, cin, h * w, maskByInput ? px + (long)i * cin * h * w : null, pd + (long)((t0 + t) * n + i) * cin * h * w);
                }
            return s;
        }, _ => { });
        GatherGemm.Count(2L * rows * q * cout * kp);
        return dx;
    }

    // acc (padded plane, channels last) -> dx (Cin, H·W) at the pixels' offsets `at`, times [x > 0] when x is given:
    // 8 pixels of a channel at a time by one gather.
    private static void Crop(float* acc, int* at, int cin, int pixels, float* x, float* dx)
    {
        int vectors = Avx2.IsSupported ? pixels / 8 * 8 : 0;
        for (int ci = 0; ci < cin; ci++, dx += pixels)
        {
            float* from = acc + ci;
            for (int e = 0; e < vectors; e += 8)
            {
                var v = Avx2.GatherVector256(from, Avx.LoadVector256(at + e), 4);
                if (x is not null) v = Avx.And(v, Avx.CompareGreaterThan(Avx.LoadVector256(x + (long)ci * pixels + e), Vector256<float>.Zero));
                v.Store(dx + e);
            }
            for (int e = vectors; e < pixels; e++) dx[e] = x is null || x[(long)ci * pixels + e] > 0 ? from[at[e]] : 0f;
        }
    }

    // For sample i and each window u: the channels in order of their source's phase (sy * 2 + sx), and where each phase starts.
    private static void GroupByPhase(int[] src, int[] phaseOf, int i, int cout, int q, int[] order, int[] start)
    {
        Span<int> count = stackalloc int[4];
        for (int u = 0; u < q; u++)
        {
            count.Clear();
            for (int co = 0; co < cout; co++) count[phaseOf[src[(i * cout + co) * q + u]]]++;
            start[u * 5] = 0;
            for (int phase = 0; phase < 4; phase++) start[u * 5 + phase + 1] = start[u * 5 + phase] + count[phase];
            count.Clear();
            for (int co = 0; co < cout; co++)
            {
                int phase = phaseOf[src[(i * cout + co) * q + u]];
                order[u * cout + start[u * 5 + phase] + count[phase]++] = co;
            }
        }
    }

    // (Ho·Wo): the phase sy·2 + sx of each position (y, x) of the output plane within its 2 x 2 pooled window, (y % 2, x % 2).
    private static int[] Phases(int ho, int wo)
    {
        var phase = new int[ho * wo];
        for (int p = 0; p < phase.Length; p++) phase[p] = p / wo % 2 * 2 + p % wo % 2;
        return phase;
    }

    // (Cout, k·k·Cin): row co = s_w W[co] in (kh, kw, ci) order
    private static float[] KernelRows(Conv2d conv)
    {
        int cin = conv.InChannels, cout = conv.OutChannels, kk = conv.Window.KernelH, kp = kk * kk * cin;
        float sw = conv.Scales.WeightMultiplier;
        float[] wd = conv.Weight.Value.Data, rows = new float[cout * kp];
        for (int co = 0; co < cout; co++)
            for (int ci = 0; ci < cin; ci++)
                for (int kh = 0; kh < kk; kh++)
                    for (int kw = 0; kw < kk; kw++)
                        rows[co * kp + (kh * kk + kw) * cin + ci] = sw * wd[((co * cin + ci) * kk + kh) * kk + kw];
        return rows;
    }
}
