using NtkDynamics.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace NtkDynamics.Nn;

/// <summary>
/// k x k convolution, stride 1, zero padding, with bias: y = s_w (W * x) + s_b b. W is [Cout, Cin, k, k] (OIHW, as PyTorch).
/// Computed as im2col + GEMM over chunks of samples, so the GEMMs are large and the patch buffer stays bounded.
/// </summary>
public sealed class Conv2d : Layer, INtkLayer
{
    public int InChannels { get; }
    public int OutChannels { get; }
    public int Kernel { get; }
    public int Padding { get; }
    public Parameter Weight { get; }
    public Parameter Bias { get; }
    public LayerScales Scales { get; }
    private Tensor? _x, _y, _dx;
    private float[] _cols = [], _tmp = [];

    /// <summary>Rows of the patch matrix: Cin * k * k (the fan-in).</summary>
    public int PatchSize => InChannels * Kernel * Kernel;

    public Conv2d(int inChannels, int outChannels, int kernel, int padding, LayerScales scales)
    {
        InChannels = inChannels; OutChannels = outChannels; Kernel = kernel; Padding = padding; Scales = scales;
        Weight = new Parameter("weight", outChannels, inChannels, kernel, kernel) { LrScale = scales.LrScale };
        Bias = new Parameter("bias", outChannels) { LrScale = scales.LrScale };
    }

    public override IReadOnlyList<Parameter> Parameters => [Weight, Bias];

    /// <summary>The input of the last forward pass (N, Cin, H, W).</summary>
    public Tensor Input => _x ?? throw new InvalidOperationException($"{Name}: no forward pass yet");

    public override int[] OutputShape(int[] s)
    {
        if (s.Length != 4 || s[1] != InChannels || s[2] + 2 * Padding < Kernel || s[3] + 2 * Padding < Kernel)
            throw ShapeError($"[N, {InChannels}, H, W] with H, W >= {Kernel - 2 * Padding}", s);
        return [s[0], OutChannels, s[2] + 2 * Padding - Kernel + 1, s[3] + 2 * Padding - Kernel + 1];
    }

    /// <summary>Samples per GEMM chunk: about 8192 output positions, at most 32M floats of patches.</summary>
    public int ChunkSize(int n, int positions) =>
        Math.Clamp(Math.Min((8192 + positions - 1) / positions, (1 << 25) / Math.Max(1, PatchSize * positions)), 1, Math.Max(1, n));

    // x: (N, Cin, H, W) -> y: (N, Cout, Ho, Wo). Per chunk of cs samples:
    // cols (K, cs*P) = im2col(x[n0..n0+cs]); tmp (Cout, cs*P) = W (Cout, K) · cols; y[n0+s, c, :] = s_w tmp[c, s*P..] + s_b b[c].
    public override Tensor Forward(Tensor x)
    {
        var os = OutputShape(x.Shape);
        _x = x;
        var y = Tensor.Reuse(ref _y, os);
        int n = os[0], p = os[2] * os[3], cs = ChunkSize(n, p), k = PatchSize, cout = OutChannels;
        Grow(ref _cols, k * cs * p);
        Grow(ref _tmp, cout * cs * p);
        for (int n0 = 0; n0 < n; n0 += cs)
        {
            int m = Math.Min(cs, n - n0);
            Im2Col(x, n0, m, _cols);
            Blas.Gemm(false, false, cout, m * p, k, Scales.WeightMultiplier, Weight.Value.Data, k, _cols, m * p, 0f, _tmp, m * p);
            float[] tmp = _tmp, yd = y.Data, b = Bias.Value.Data;
            float sb = Scales.BiasMultiplier;
            Parallel.For(0, cout, TensorMath.Options((long)cout * m * p), c =>
            {
                for (int s = 0; s < m; s++)
                {
                    var src = tmp.AsSpan(c * m * p + s * p, p);
                    var dst = yd.AsSpan(((n0 + s) * cout + c) * p, p);
                    TensorPrimitives.Add(src, sb * b[c], dst);
                }
            });
        }
        return y;
    }

    // dy: (N, Cout, Ho, Wo). Per chunk: dyc (Cout, cs*P) gathered from dy; dW += s_w dyc · colsᵀ; db += s_b Σ dyc;
    // dcols (K, cs*P) = s_w Wᵀ · dyc; dx[n0..] = col2im(dcols).
    public override Tensor Backward(Tensor gradOutput, bool accumulate = true) => Backward(gradOutput, accumulate, inputGradient: true)!;

    public override void BackwardParameters(Tensor gradOutput) => Backward(gradOutput, accumulate: true, inputGradient: false);

    private Tensor? Backward(Tensor gradOutput, bool accumulate, bool inputGradient)
    {
        var x = Input;
        int n = gradOutput.Shape[0], p = gradOutput.Shape[2] * gradOutput.Shape[3], cs = ChunkSize(n, p), k = PatchSize, cout = OutChannels;
        if (accumulate && n != x.Shape[0])
            throw new ArgumentException($"{Describe()} '{Name}': parameter gradients need the forward batch {x.Shape[0]}, got {n}");
        var dx = inputGradient ? Tensor.Reuse(ref _dx, [n, .. x.Shape.AsSpan(1)]) : null;
        Grow(ref _cols, k * cs * p);
        Grow(ref _tmp, cout * cs * p);
        for (int n0 = 0; n0 < n; n0 += cs)
        {
            int m = Math.Min(cs, n - n0);
            GatherCotangents(gradOutput, n0, m, _tmp);
            if (accumulate)
            {
                Im2Col(x, n0, m, _cols);
                Blas.Gemm(false, true, cout, k, m * p, Scales.WeightMultiplier, _tmp, m * p, _cols, m * p, 1f, Weight.Grad.Data, k);
                var db = Bias.Grad.Data;
                for (int c = 0; c < cout; c++)
                    db[c] += Scales.BiasMultiplier * TensorPrimitives.Sum(_tmp.AsSpan(c * m * p, m * p));
            }
            if (!inputGradient) continue;
            Blas.Gemm(true, false, k, m * p, cout, Scales.WeightMultiplier, Weight.Value.Data, k, _tmp, m * p, 0f, _cols, m * p);
            Col2Im(_cols, n0, m, dx!);
        }
        return inputGradient ? dx : null;
    }

    /// <summary>dy[n0..n0+m] (m, Cout, P) -> dst (Cout, m*P): the cotangent as the GEMMs want it.</summary>
    internal void GatherCotangents(Tensor dy, int n0, int m, float[] dst)
    {
        int cout = OutChannels, p = dy.Shape[2] * dy.Shape[3];
        float[] g = dy.Data;
        Parallel.For(0, cout, TensorMath.Options((long)cout * m * p), c =>
        {
            for (int s = 0; s < m; s++)
                g.AsSpan(((n0 + s) * cout + c) * p, p).CopyTo(dst.AsSpan(c * m * p + s * p, p));
        });
    }

    /// <summary>x[n0..n0+m] -> cols (K, m*P): row ci*k*k + kh*k + kw, column s*P + oh*Wo + ow holds x[n0+s, ci, oh+kh-pad, ow+kw-pad] (0 outside).</summary>
    internal void Im2Col(Tensor x, int n0, int m, float[] cols)
    {
        int cin = InChannels, h = x.Shape[2], w = x.Shape[3], kk = Kernel, pad = Padding;
        int ho = h + 2 * pad - kk + 1, wo = w + 2 * pad - kk + 1, p = ho * wo, rows = cin * kk * kk;
        float[] xd = x.Data;
        Parallel.For(0, rows, TensorMath.Options((long)rows * m * p), r =>
        {
            int ci = r / (kk * kk), kh = r / kk % kk, kw = r % kk;
            for (int s = 0; s < m; s++)
            {
                var dst = cols.AsSpan(r * m * p + s * p, p);
                var plane = xd.AsSpan(((n0 + s) * cin + ci) * h * w, h * w);
                if (wo == w) PatchRowSamePadding(plane, dst, h, w, kh - pad, kw - pad);
                else PatchRow(plane, dst, h, w, ho, wo, kh - pad, kw - pad);
            }
        });
    }

    /// <summary>
    /// x[sample] -> rows (P, ld): row oh*Wo + ow holds the patch in (kh, kw, ci) order, a permutation of <see cref="Im2Col"/>'s
    /// rows that keeps every Gram of patches, then zeros up to ld; written from <paramref name="offset"/>.
    /// <paramref name="padded"/> (<see cref="PaddedPlane"/> floats) is scratch.
    /// </summary>
    internal void Im2Row(Tensor x, int sample, float[] rows, int ld, float[] padded, long offset = 0)
    {
        int cin = InChannels, kk = Kernel, wp = x.Shape[3] + 2 * Padding, ho = x.Shape[2] + 2 * Padding - kk + 1, wo = wp - kk + 1;
        ChannelsLastPadded(x, sample, padded);
        for (int oh = 0; oh < ho; oh++)
            for (int ow = 0; ow < wo; ow++)
            {
                var row = rows.AsSpan((int)(offset + (oh * wo + ow) * ld), ld);
                for (int kh = 0; kh < kk; kh++) padded.AsSpan(((oh + kh) * wp + ow) * cin, kk * cin).CopyTo(row[(kh * kk * cin)..]);
                row[PatchSize..].Clear();
            }
    }

    /// <summary>Floats of one sample's input channels-last with its zero padding: (H + 2 pad)(W + 2 pad) Cin.</summary>
    internal int PaddedPlane(Tensor x) => (x.Shape[2] + 2 * Padding) * (x.Shape[3] + 2 * Padding) * InChannels;

    /// <summary>x[sample] (Cin, H, W) -> dst (H + 2 pad, W + 2 pad, Cin), zero in the padding: a patch's kernel row is then
    /// k·Cin contiguous floats.</summary>
    internal void ChannelsLastPadded(Tensor x, int sample, Span<float> dst)
    {
        int cin = InChannels, h = x.Shape[2], w = x.Shape[3], pad = Padding, wp = w + 2 * pad;
        var plane = x.Data.AsSpan(sample * cin * h * w, cin * h * w);
        dst[..PaddedPlane(x)].Clear();
        for (int ci = 0; ci < cin; ci++)
            for (int y = 0; y < h; y++)
                for (int xx = 0; xx < w; xx++) dst[((y + pad) * wp + xx + pad) * cin + ci] = plane[(ci * h + y) * w + xx];
    }

    // dst (ho, wo) = plane shifted by (dh, dw), zero outside: the general case, one row at a time.
    private static void PatchRow(Span<float> plane, Span<float> dst, int h, int w, int ho, int wo, int dh, int dw)
    {
        for (int oh = 0; oh < ho; oh++)
        {
            int ih = oh + dh;
            var row = dst.Slice(oh * wo, wo);
            if ((uint)ih >= (uint)h) { row.Clear(); continue; }
            int lo = Math.Max(0, -dw), hi = Math.Min(wo, w - dw);
            row[..lo].Clear();
            if (hi > lo) plane.Slice(ih * w + lo + dw, hi - lo).CopyTo(row[lo..hi]);
            row[Math.Max(lo, hi)..].Clear();
        }
    }

    // The same when the output is as wide as the input ("same" padding): the valid rows are one contiguous block of the
    // plane shifted by dh*w + dw, copied at once; the |dw| columns that wrapped around a row edge are then zeroed.
    private static void PatchRowSamePadding(Span<float> plane, Span<float> dst, int h, int w, int dh, int dw)
    {
        int ohStart = Math.Max(0, -dh), ohEnd = Math.Min(h, h - dh);
        dst[..(ohStart * w)].Clear();
        dst[(Math.Max(ohStart, ohEnd) * w)..].Clear();
        if (ohEnd <= ohStart) return;
        int srcStart = (ohStart + dh) * w + dw, length = (ohEnd - ohStart) * w, dstStart = ohStart * w;
        int front = Math.Max(0, -srcStart), back = Math.Max(0, srcStart + length - h * w);
        plane.Slice(srcStart + front, length - front - back).CopyTo(dst.Slice(dstStart + front));
        dst.Slice(dstStart, front).Clear();
        dst.Slice(dstStart + length - back, back).Clear();
        for (int oh = ohStart; oh < ohEnd; oh++)
        {
            var row = dst.Slice(oh * w, w);
            if (dw < 0) row[..Math.Min(w, -dw)].Clear();
            else if (dw > 0) row[Math.Max(0, w - dw)..].Clear();
        }
    }

    /// <summary>The adjoint of <see cref="Im2Col"/>: dx[n0+s] = Σ over patch rows of cols scattered back (overwrites those samples).</summary>
    private unsafe void Col2Im(float[] cols, int n0, int m, Tensor dx)
    {
        int cin = InChannels, h = dx.Shape[2], w = dx.Shape[3], kk = Kernel, pad = Padding;
        int ho = h + 2 * pad - kk + 1, wo = w + 2 * pad - kk + 1, p = ho * wo;
        float[] d = dx.Data;
        Parallel.For(0, m * cin, TensorMath.Options((long)m * cin * kk * kk * p), sc =>
        {
            int s = sc / cin, ci = sc % cin;
            var plane = d.AsSpan(((n0 + s) * cin + ci) * h * w, h * w);
            plane.Clear();
            for (int kh = 0; kh < kk; kh++)
                for (int kw = 0; kw < kk; kw++)
                {
                    var src = cols.AsSpan(((ci * kk + kh) * kk + kw) * m * p + s * p, p);
                    if (wo == w) AddPatchRowSamePadding(src, plane, h, w, kh - pad, kw - pad);
                    else AddPatchRow(src, plane, h, w, ho, wo, kh - pad, kw - pad);
                }
        });
    }

    // plane += src (ho, wo) shifted back by (dh, dw), dropping what fell outside: the adjoint of PatchRow.
    private static void AddPatchRow(Span<float> src, Span<float> plane, int h, int w, int ho, int wo, int dh, int dw)
    {
        int lo = Math.Max(0, -dw), hi = Math.Min(wo, w - dw);
        if (hi <= lo) return;
        for (int oh = 0; oh < ho; oh++)
        {
            int ih = oh + dh;
            if ((uint)ih >= (uint)h) continue;
            var to = plane.Slice(ih * w + lo + dw, hi - lo);
            TensorPrimitives.Add(to, src.Slice(oh * wo + lo, hi - lo), to);
        }
    }

    // The adjoint of PatchRowSamePadding: zero the wrapped columns of src (they belong to the padding; src is scratch),
    // then add the valid rows as one block.
    private static void AddPatchRowSamePadding(Span<float> src, Span<float> plane, int h, int w, int dh, int dw)
    {
        int ohStart = Math.Max(0, -dh), ohEnd = Math.Min(h, h - dh);
        if (ohEnd <= ohStart) return;
        for (int oh = ohStart; oh < ohEnd; oh++)
        {
            var row = src.Slice(oh * w, w);
            if (dw < 0) row[..Math.Min(w, -dw)].Clear();
            else if (dw > 0) row[Math.Max(0, w - dw)..].Clear();
        }
        int dstStart = (ohStart + dh) * w + dw, length = (ohEnd - ohStart) * w, srcStart = ohStart * w;
        int front = Math.Max(0, -dstStart), back = Math.Max(0, dstStart + length - h * w);
        var to = plane.Slice(dstStart + front, length - front - back);
        TensorPrimitives.Add(to, src.Slice(srcStart + front, length - front - back), to);
    }

    private static void Grow(ref float[] buffer, int length)
    {
        if (buffer.Length < length) buffer = new float[length];
    }

    /// <inheritdoc/>
    public INtkBlock NtkBlock(NtkPlan plan) => new Conv2dNtkBlock(this, plan);

    public override string Describe() => $"Conv2d({InChannels} -> {OutChannels}, {Kernel}x{Kernel}, pad {Padding})";
}
