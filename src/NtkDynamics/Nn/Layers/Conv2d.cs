using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using NtkDynamics.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace NtkDynamics.Nn.Layers;

/// <summary>
/// kh x kw convolution with a stride and zero padding, bias optional: y = s_w (W * x) + s_b b, W [Cout, Cin, kh, kw] (OIHW, as
/// PyTorch), Ho = ⌊(H + 2 ph - kh) / sh⌋ + 1. Computed as im2col + GEMM over chunks of samples, so the GEMMs are large and the
/// patch buffer stays bounded; 3x3 convolutions with padding 1 and stride 1 or 2 on planes of most of a tile take
/// <see cref="Conv3x3"/> instead (no im2col; with 512-bit vectors).
/// </summary>
public sealed class Conv2d : WeightLayer, INtkLayer
{
    public int InChannels { get; }
    public int OutChannels { get; }
    public Window2d Window { get; }

    // Fewest output channels for the flipped-kernel input gradient: measured on Zen 3 (3x3, 320 samples), it was 15-30 %
    // faster at 64-160 channels, even at 40 and 15-20 % slower at 20, where col2im's GEMM (inner dimension Cout) is no worse.
    internal const int TransposedMinChannels = 64;

    // Scratch of the im2col GEMMs, per calling thread (a pass's state would hold one per layer: 20 convolutions of up to 128 MB).
    [ThreadStatic] private static float[]? t_cols, t_tmp, t_padded;

    // Floats of the direct path's padded chunk in the backward pass (inputs and cotangents of its samples): 4 MiB.
    private const int DirectChunkFloats = 1 << 20;

    /// <summary>Flops (2 per multiply-add) of the direct 3x3 convolutions done in this process, for benchmarks (im2col's GEMMs
    /// are counted by the BLAS backend).</summary>
    public static long DirectFlops => Conv3x3.Flops;

    /// <summary>Rows of the patch matrix: Cin * kh * kw (the fan-in).</summary>
    public int PatchSize => InChannels * Window.KernelH * Window.KernelW;

    public override int FanIn => PatchSize;

    /// <summary>A k x k convolution, stride 1 unless given, with padding <paramref name="padding"/> on every side.</summary>
    public Conv2d(int inChannels, int outChannels, int kernel, int padding, int stride = 1, bool bias = true)
        : this(inChannels, outChannels, (kernel, kernel), (stride, stride), (padding, padding), bias) { }

    public Conv2d(int inChannels, int outChannels, (int H, int W) kernel, (int H, int W) stride, (int H, int W) padding, bool bias = true)
        : this(inChannels, outChannels, new Window2d(kernel.H, kernel.W, stride.H, stride.W, padding.H, padding.W), bias) { }

    public Conv2d(int inChannels, int outChannels, Window2d window, bool bias = true)
        : base([Math.Max(1, outChannels), Math.Max(1, inChannels), Math.Max(1, window.KernelH), Math.Max(1, window.KernelW)], bias)
    {
        window.Check($"Conv2d({inChannels} -> {outChannels})");
        if (inChannels < 1 || outChannels < 1) throw new ArgumentException($"Conv2d: channels must be >= 1, got {inChannels} -> {outChannels}");
        InChannels = inChannels; OutChannels = outChannels; Window = window;
    }

    /// <summary>A square kernel, stride 1, the same padding on both axes: what the eNTK's fastest kernels need.</summary>
    public bool IsSquareUnitStride => Window.IsSquareUnitStride;

    public override int[] OutputShape(int[] s)
    {
        if (s.Length != 4 || s[1] != InChannels || !Window.Fits(s[2], s[3]))
            throw ShapeError($"[N, {InChannels}, H, W] with H >= {Window.KernelH - 2 * Window.PadH}, W >= {Window.KernelW - 2 * Window.PadW}", s);
        return [s[0], OutChannels, Window.OutH(s[2]), Window.OutW(s[3])];
    }

    /// <summary>Samples per GEMM chunk: about 8192 output positions, at most 32M floats of patches.</summary>
    public int ChunkSize(int n, int positions) => ChunkSize(n, positions, PatchSize);

    private static int ChunkSize(int n, int positions, int patch) =>
        Math.Clamp(Math.Min((8192 + positions - 1) / positions, (1 << 25) / Math.Max(1, patch * positions)), 1, Math.Max(1, n));

    // x: (N, Cin, H, W) -> y: (N, Cout, Ho, Wo). Per chunk of cs samples:
    // cols (K, cs*P) = im2col(x[n0..n0+cs]); tmp (Cout, cs*P) = W (Cout, K) · cols; y[n0+s, c, :] = s_w tmp[c, s*P..] + s_b b[c].
    public override Tensor Forward(NodeState state, Tensor x)
    {
        var os = OutputShape(x.Shape);
        var y = Tensor.ReuseUninitialized(ref state.OutputBuffer, os); // every entry is written below
        if (DirectLayout(x.Shape[2], x.Shape[3]) is { } layout)
        {
            DirectForward(layout, x, y);
            return y;
        }
        int n = os[0], p = os[2] * os[3], cs = ChunkSize(n, p), k = PatchSize, cout = OutChannels;
        var cols = Scratch(ref t_cols, k * cs * p);
        var tmp = Scratch(ref t_tmp, cout * cs * p);
        for (int n0 = 0; n0 < n; n0 += cs)
        {
            int m = Math.Min(cs, n - n0);
            Im2Col(x, n0, m, cols);
            Blas.Gemm(false, false, cout, m * p, k, Scales.WeightMultiplier, Weight.Value.Data, k, cols, m * p, 0f, tmp, m * p);
            Unchunk(tmp, n0, m, cout, p, y.Data, Bias?.Value.Data, Scales.BiasMultiplier);
        }
        return y;
    }

    /// <summary>tmp (C, m*P) -> dst[n0+s, c, :] = tmp[c, s*P..] + sb b[c] (b null: no bias): a chunk's GEMM output in NCHW.</summary>
    private static void Unchunk(float[] tmp, int n0, int m, int channels, int p, float[] dst, float[]? b, float sb)
    {
        Parallel.For(0, channels, TensorMath.Options((long)channels * m * p), c =>
        {
            float bc = b is null ? 0f : sb * b[c];
            for (int s = 0; s < m; s++)
                TensorPrimitives.Add(tmp.AsSpan(c * m * p + s * p, p), bc, dst.AsSpan(((n0 + s) * channels + c) * p, p));
        });
    }

    // dy: (N, Cout, Ho, Wo). Per chunk: dyc (Cout, cs*P) gathered from dy; dW += s_w dyc · colsᵀ; db += s_b Σ dyc. Then dx:
    // stride 1 with padding < kernel (see TransposedWindow): dx is the convolution of dy with the flipped, transposed kernel,
    // dcols (Cout*kh*kw, cs*H*W) = im2col'(dy), tmp (Cin, cs*H*W) = W' · dcols, dx[n0..] = tmp; otherwise
    // dcols (K, cs*P) = s_w Wᵀ · dyc, dx[n0..] = col2im(dcols).
    public override Tensor? Backward(NodeState state, Tensor gradOutput, Gradients? gradients, bool inputGradient)
    {
        var x = state.Input;
        int n = gradOutput.Shape[0], p = gradOutput.Shape[2] * gradOutput.Shape[3], k = PatchSize, cout = OutChannels, cin = InChannels;
        int pin = x.Shape[2] * x.Shape[3], kt = cout * Window.KernelH * Window.KernelW;
        if (gradients is not null) CheckBatch(gradOutput, state);
        var dx = inputGradient ? Tensor.ReuseUninitialized(ref state.GradientBuffer, [n, .. x.Shape.AsSpan(1)]) : null; // every entry is written
        if (DirectLayout(x.Shape[2], x.Shape[3]) is { } layout)
        {
            if (layout.Stride == 1)
            {
                DirectBackward(layout, x, gradOutput, gradients, dx);
                return dx;
            }
            if (gradients is not null) DirectBackward(layout, x, gradOutput, gradients, null);
            if (dx is null) return null;
            if ((layout.Ho + 1) * (layout.Wo + 2) >= 2 * Conv3x3.Tile)
            {
                DirectStridedInputGradient(layout, gradOutput, dx);
                return dx;
            }
            gradients = null; // smaller planes: dx by col2im below (the phases' short convolutions were 0.7x of it at 16 -> 8)
        }
        var transposed = dx is null ? null : TransposedWindow();
        int cs = ChunkSize(n, p, k);
        if (transposed is not null) cs = Math.Min(cs, ChunkSize(n, pin, kt));
        var cols = Scratch(ref t_cols, (long)cs * Math.Max(k * p, transposed is null ? 0 : kt * pin));
        var tmp = Scratch(ref t_tmp, (long)cs * Math.Max(cout * p, transposed is null ? 0 : cin * pin));
        var flipped = transposed is null ? null : FlippedTransposedKernel();
        for (int n0 = 0; n0 < n; n0 += cs)
        {
            int m = Math.Min(cs, n - n0);
            if (gradients is not null || transposed is null) GatherCotangents(gradOutput, n0, m, tmp);
            if (gradients is not null)
            {
                Im2Col(x, n0, m, cols);
                Blas.Gemm(false, true, cout, k, m * p, Scales.WeightMultiplier, tmp, m * p, cols, m * p, 1f, gradients.Of(Weight).Data, k);
                if (Bias is not null)
                {
                    var db = gradients.Of(Bias).Data;
                    for (int c = 0; c < cout; c++) db[c] += Scales.BiasMultiplier * TensorPrimitives.Sum(tmp.AsSpan(c * m * p, m * p));
                }
            }
            if (dx is null) continue;
            if (transposed is { } tw)
            {
                Unfold(tw, cout, gradOutput, n0, m, cols);
                Blas.Gemm(false, false, cin, m * pin, kt, 1f, flipped!, kt, cols, m * pin, 0f, tmp, m * pin);
                Unchunk(tmp, n0, m, cin, pin, dx.Data, null, 0f);
                continue;
            }
            Blas.Gemm(true, false, k, m * p, cout, Scales.WeightMultiplier, Weight.Value.Data, k, tmp, m * p, 0f, cols, m * p);
            Col2Im(cols, n0, m, dx);
        }
        return dx;
    }

    /// <summary>3x3, padding 1, stride 1 or 2, a wide output of most of a tile (see <see cref="Conv3x3.Layout.Fits"/>): the
    /// layout of <see cref="Conv3x3"/>, which computes the forward pass, the weight gradient and the input gradient (at
    /// stride 2 for phases of at least two tiles). Null otherwise.</summary>
    internal Conv3x3.Layout? DirectLayout(int h, int w)
    {
        if (Window != Window2d.Square(3, 1, 1) && Window != Window2d.Square(3, 2, 1)) return null;
        var layout = new Conv3x3.Layout(Window.StrideH, h, w);
        return layout.Fits ? layout : null;
    }

    // x (N, Cin, H, W) -> y (N, Cout, Ho, Wo), a sample at a time: xp (Cin, ChannelFloats) = the padded plane or its phases,
    // y[s] = s_w W * xp + s_b b.
    private void DirectForward(Conv3x3.Layout layout, Tensor x, Tensor y)
    {
        int n = x.Shape[0], hw = x.Shape[2] * x.Shape[3], cin = InChannels, cout = OutChannels, plane = layout.ChannelFloats;
        int ho = layout.Ho, wo = layout.Wo;
        float alpha = Scales.WeightMultiplier;
        float[]? bias = Bias is null ? null : Array.ConvertAll(Bias.Value.Data, b => Scales.BiasMultiplier * b);
        float[] xd = x.Data, wd = Weight.Value.Data, yd = y.Data;
        Conv3x3.Count(2L * n * cout * PatchSize * ho * wo);
        Parallel.For(0, n, TensorMath.Options((long)n * cout * PatchSize * ho * wo), s =>
        {
            var padded = Scratch(ref t_padded, (long)cin * plane + Conv3x3.Slack);
            layout.Prepare(xd.AsSpan(s * cin * hw, cin * hw), cin, padded);
            padded.AsSpan(cin * plane, Conv3x3.Slack).Clear();
            Span<int> taps = stackalloc int[9];
            layout.Taps(taps);
            unsafe
            {
                fixed (float* xp = padded, wp = wd, bp = bias, yp = yd)
                fixed (int* tp = taps)
                    Conv3x3.Forward(xp, plane, cin, tp, 9, ho, layout.Wq, wo, wp, cout, alpha, bp, yp + (long)s * cout * ho * wo);
            }
        });
    }

    // dy (R, Cout, Ho, Wo) (R = N with weight gradients; without, a multiple of N: only dx, which needs no x). Per chunk of m
    // samples: xp (m, Cin, ChannelFloats) as in the forward pass, and the wide cotangent: stride 1, dy padded by 1 like x
    // (then dyW = dypad + Wq + 1, zero in the dropped columns); stride 2, dy's rows Wq apart (zero in the last column) up to
    // Length floats. dW[co, ci, t] += s_w Σ_s Σ_q dyW[s, co, q] xp[s, ci, q + tap t]; stride 1: dx[s] = W' * dypad[s] (the
    // flipped kernel, padding 1 again; dx must be null for stride 2, see DirectStridedInputGradient).
    private void DirectBackward(Conv3x3.Layout layout, Tensor x, Tensor dy, Gradients? gradients, Tensor? dx)
    {
        int n = dy.Shape[0], h = x.Shape[2], w = x.Shape[3], cin = InChannels, cout = OutChannels, wq = layout.Wq;
        int ho = layout.Ho, wo = layout.Wo, hw = h * w, p = ho * wo, length = layout.Length;
        bool unit = layout.Stride == 1;
        int xFloats = layout.ChannelFloats, dyFloats = unit ? layout.ChannelFloats : length, shift = unit ? wq + 1 : 0;
        int cs = Math.Clamp(DirectChunkFloats / (cin * xFloats + cout * dyFloats), 1, n);
        var padded = Scratch(ref t_cols, (long)cs * (cin * xFloats + cout * dyFloats) + Conv3x3.Slack);
        var flipped = dx is null ? null : FlippedTransposedKernel();
        float[]? dw = gradients?.Of(Weight).Data;
        float[] xd = x.Data, g = dy.Data;
        Conv3x3.Count(2L * n * cout * PatchSize * p * ((dw is null ? 0 : 1) + (dx is null ? 0 : 1)));
        if (gradients is not null && Bias is not null)
        {
            var db = gradients.Of(Bias).Data;
            for (int c = 0; c < cout; c++)
            {
                double sum = 0;
                for (int s = 0; s < n; s++) sum += TensorPrimitives.Sum(g.AsSpan((s * cout + c) * p, p));
                db[c] += Scales.BiasMultiplier * (float)sum;
            }
        }
        Span<int> tapSpan = stackalloc int[9];
        layout.Taps(tapSpan);
        int[] taps = tapSpan.ToArray();
        for (int n0 = 0; n0 < n; n0 += cs)
        {
            int m = Math.Min(cs, n - n0), xOffset = m * cout * dyFloats;
            Parallel.For(0, m, TensorMath.Options((long)m * (cin * xFloats + cout * dyFloats)), s =>
            {
                var to = padded.AsSpan(s * cout * dyFloats, cout * dyFloats);
                if (unit) layout.Prepare(g.AsSpan((n0 + s) * cout * p, cout * p), cout, to);
                else Conv3x3.Place(g.AsSpan((n0 + s) * cout * p, cout * p), cout, ho, wo, 0, 0, wq, to, dyFloats);
                if (dw is not null) layout.Prepare(xd.AsSpan((n0 + s) * cin * hw, cin * hw), cin, padded.AsSpan(xOffset + s * cin * xFloats, cin * xFloats));
            });
            padded.AsSpan(xOffset + m * cin * xFloats, Conv3x3.Slack).Clear();
            unsafe
            {
                if (dw is not null)
                {
                    int triples = (cout + 2) / 3;
                    float alpha = Scales.WeightMultiplier;
                    Parallel.For(0, cin * triples, TensorMath.Options((long)m * cout * PatchSize * p), t =>
                    {
                        int ci = t / triples, r0 = t % triples * 3;
                        fixed (float* pp = padded, dwp = dw)
                        fixed (int* tp = taps)
                            Conv3x3.WeightGradient(pp + xOffset, xFloats, cin, ci, tp, pp + shift, dyFloats, cout, r0, Math.Min(3, cout - r0), length, m, alpha, dwp);
                    });
                }
                if (dx is null) continue;
                float[] dxd = dx.Data;
                Parallel.For(0, m, TensorMath.Options((long)m * cout * PatchSize * hw), s =>
                {
                    fixed (float* pp = padded, fp = flipped, dxp = dxd)
                    fixed (int* tp = taps)
                        Conv3x3.Forward(pp + (long)s * cout * dyFloats, dyFloats, cout, tp, 9, h, wq, w, fp, cin, 1f, null, dxp + (long)(n0 + s) * cin * hw);
                });
            }
        }
    }

    // Stride 2, dy (R, Cout, Ho, Wo) -> dx (R, Cin, H, W), a sample at a time. Padded dx pixel (2r + a, 2c + b) gets the taps
    // i ≡ a, j ≡ b (mod 2) from dy[r - ⌊i/2⌋, c - ⌊j/2⌋]: with dyp = dy padded by 1 ((Ho+2) x Wd, Wd = Wo + 2), phase (a, b) is
    // out_ab (Cin, Ho+1, Wo+1) = W_ab * dyp, W_ab[ci, co·T + t] = s_w W[co, ci, i_t, j_t], tap t reading (1 - ⌊i_t/2⌋)·Wd +
    // 1 - ⌊j_t/2⌋; then dx[ci, 2r + a - 1, 2c + b - 1] = out_ab[ci, r, c] inside the image.
    private void DirectStridedInputGradient(Conv3x3.Layout layout, Tensor dy, Tensor dx)
    {
        int n = dy.Shape[0], h = layout.H, w = layout.W, ho = layout.Ho, wo = layout.Wo, hq = ho + 1, wq = wo + 1, wd = wo + 2;
        int cin = InChannels, cout = OutChannels, dyFloats = (ho + 2) * wd + 16, phase = hq * wq;
        var kernels = new float[4][];
        var taps = new int[4][];
        var wt = Weight.Value.Data;
        for (int a = 0; a < 2; a++)
            for (int b = 0; b < 2; b++)
            {
                var list = (from i in new[] { 0, 1, 2 } where (i & 1) == a from j in new[] { 0, 1, 2 } where (j & 1) == b select (i, j)).ToArray();
                int t2 = list.Length, ab = a * 2 + b;
                taps[ab] = Array.ConvertAll(list, tap => (1 - (tap.i >> 1)) * wd + 1 - (tap.j >> 1));
                var k = kernels[ab] = new float[cin * cout * t2];
                for (int ci = 0; ci < cin; ci++)
                    for (int co = 0; co < cout; co++)
                        for (int t = 0; t < t2; t++)
                            k[(ci * cout + co) * t2 + t] = Scales.WeightMultiplier * wt[((co * cin + ci) * 3 + list[t].i) * 3 + list[t].j];
            }
        float[] g = dy.Data, dxd = dx.Data;
        int p = ho * wo;
        Conv3x3.Count(2L * n * cout * PatchSize * p);
        Parallel.For(0, n, TensorMath.Options((long)n * cout * PatchSize * p), s =>
        {
            var padded = Scratch(ref t_padded, (long)cout * dyFloats + Conv3x3.Slack);
            Conv3x3.Place(g.AsSpan(s * cout * p, cout * p), cout, ho, wo, 1, 1, wd, padded, dyFloats);
            padded.AsSpan(cout * dyFloats, Conv3x3.Slack).Clear();
            var outs = Scratch(ref t_tmp, 4L * cin * phase);
            unsafe
            {
                fixed (float* pp = padded, op = outs)
                    for (int ab = 0; ab < 4; ab++)
                        fixed (float* kp = kernels[ab])
                        fixed (int* tp = taps[ab])
                            Conv3x3.Forward(pp, dyFloats, cout, tp, taps[ab].Length, hq, wd, wq, kp, cin, 1f, null, op + (long)ab * cin * phase);
            }
            var to = dxd.AsSpan(s * cin * h * w, cin * h * w);
            for (int ab = 0; ab < 4; ab++)
            {
                int a = ab >> 1, b = ab & 1;
                for (int ci = 0; ci < cin; ci++)
                    for (int r = 0; r < hq; r++)
                    {
                        int y = 2 * r + a - 1;
                        if ((uint)y >= (uint)h) continue;
                        var from = outs.AsSpan((ab * cin + ci) * phase + r * wq, wq);
                        var row = to.Slice((ci * h + y) * w, w);
                        for (int c = 0; c < wq; c++)
                        {
                            int xx = 2 * c + b - 1;
                            if ((uint)xx < (uint)w) row[xx] = from[c];
                        }
                    }
            }
        });
    }

    /// <summary>
    /// For stride 1 and padding below the kernel on both axes, the window of the input gradient as a convolution of dy:
    /// kh x kw, stride 1, padding (kh-1-ph, kw-1-pw), which maps Ho x Wo back to H x W. Null otherwise; and when Cout > Cin
    /// (dy's patch matrix, Cout*kh*kw rows, would outgrow col2im's, Cin*kh*kw), or Cout is below <see cref="TransposedMinChannels"/>.
    /// </summary>
    private Window2d? TransposedWindow() =>
        Window.StrideH == 1 && Window.StrideW == 1 && Window.PadH < Window.KernelH && Window.PadW < Window.KernelW
        && OutChannels <= InChannels && OutChannels >= TransposedMinChannels
            ? new Window2d(Window.KernelH, Window.KernelW, 1, 1, Window.KernelH - 1 - Window.PadH, Window.KernelW - 1 - Window.PadW)
            : null;

    /// <summary>W' (Cin, Cout*kh*kw): W'[ci, (co*kh + i)*kw + j] = s_w W[co, ci, kh-1-i, kw-1-j], the kernel of the input gradient.</summary>
    private float[] FlippedTransposedKernel()
    {
        int cin = InChannels, cout = OutChannels, kh = Window.KernelH, kw = Window.KernelW;
        var w = Weight.Value.Data;
        var f = GC.AllocateUninitializedArray<float>(cin * cout * kh * kw);
        for (int co = 0; co < cout; co++)
            for (int ci = 0; ci < cin; ci++)
                for (int i = 0; i < kh; i++)
                    for (int j = 0; j < kw; j++)
                        f[((ci * cout + co) * kh + i) * kw + j] = Scales.WeightMultiplier * w[((co * cin + ci) * kh + kh - 1 - i) * kw + kw - 1 - j];
        return f;
    }

    private static float[] Scratch(ref float[]? buffer, long length)
    {
        if (buffer is null || buffer.Length < length) buffer = GC.AllocateUninitializedArray<float>(checked((int)length));
        return buffer;
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

    /// <summary>x[n0..n0+m] -> cols (K, m*P): row ci*kh*kw + i*kw + j, column s*P + oh*Wo + ow holds
    /// x[n0+s, ci, oh*sh + i - ph, ow*sw + j - pw] (0 outside).</summary>
    internal void Im2Col(Tensor x, int n0, int m, float[] cols) => Unfold(Window, InChannels, x, n0, m, cols);

    /// <summary>The same for any window over x (N, cin, H, W).</summary>
    private static void Unfold(Window2d window, int cin, Tensor x, int n0, int m, float[] cols)
    {
        int h = x.Shape[2], w = x.Shape[3], kh = window.KernelH, kw = window.KernelW;
        int ho = window.OutH(h), wo = window.OutW(w), p = ho * wo, rows = cin * kh * kw;
        bool same = SamePlane(window, h, w, ho, wo);
        float[] xd = x.Data;
        Parallel.For(0, rows, TensorMath.Options((long)rows * m * p), r =>
        {
            int ci = r / (kh * kw), i = r / kw % kh, j = r % kw;
            if (same && h * w == V && Avx512F.IsSupported)
            {
                var (lanes, keep) = Shift16(h, w, i - window.PadH, j - window.PadW);
                for (int s = 0; s < m; s++)
                    (Avx512F.PermuteVar16x32(Vector512.Create(xd.AsSpan(((n0 + s) * cin + ci) * V, V)), lanes).AsInt32() & keep).AsSingle()
                        .CopyTo(cols.AsSpan(r * m * p + s * V, V));
                return;
            }
            for (int s = 0; s < m; s++)
            {
                var dst = cols.AsSpan(r * m * p + s * p, p);
                var plane = xd.AsSpan(((n0 + s) * cin + ci) * h * w, h * w);
                if (same) PatchRowSamePadding(plane, dst, h, w, i - window.PadH, j - window.PadW);
                else PatchRow(window, plane, dst, h, w, ho, wo, i - window.PadH, j - window.PadW);
            }
        });
    }

    private const int V = 16; // floats of a Vector512

    /// <summary>For a plane of h·w = 16 floats (one vector), PatchRowSamePadding's shift by (dh, dw) as a lane permutation:
    /// lane oh·w + ow takes lane (oh + dh)·w + ow + dw where that is inside the plane, and is zeroed (keep = 0) elsewhere.</summary>
    private static (Vector512<int> Lanes, Vector512<int> Keep) Shift16(int h, int w, int dh, int dw)
    {
        Span<int> lanes = stackalloc int[V], keep = stackalloc int[V];
        for (int t = 0; t < V; t++)
        {
            int ih = t / w + dh, iw = t % w + dw;
            bool inside = (uint)ih < (uint)h && (uint)iw < (uint)w;
            lanes[t] = inside ? ih * w + iw : 0;
            keep[t] = inside ? -1 : 0;
        }
        return (Vector512.Create<int>(lanes), Vector512.Create<int>(keep));
    }

    // Stride 1 and an output plane as large as the input ("same" padding): patch rows are shifted copies of whole planes.
    private static bool SamePlane(Window2d window, int h, int w, int ho, int wo) => window.StrideH == 1 && window.StrideW == 1 && ho == h && wo == w;

    /// <summary>
    /// x[sample] -> rows (P, ld): row oh*Wo + ow holds the patch in (i, j, ci) order, a permutation of <see cref="Im2Col"/>'s
    /// rows that keeps every Gram of patches, then zeros up to ld; written from <paramref name="offset"/>.
    /// <paramref name="padded"/> (<see cref="PaddedPlane"/> floats) is scratch.
    /// </summary>
    internal void Im2Row(Tensor x, int sample, float[] rows, int ld, float[] padded, long offset = 0)
    {
        int cin = InChannels, wp = x.Shape[3] + 2 * Window.PadW, ho = (x.Shape[2] + 2 * Window.PadH - Window.KernelH) / Window.StrideH + 1, wo = (wp - Window.KernelW) / Window.StrideW + 1;
        ChannelsLastPadded(x, sample, padded);
        for (int oh = 0; oh < ho; oh++)
            for (int ow = 0; ow < wo; ow++)
            {
                var row = rows.AsSpan((int)(offset + (oh * wo + ow) * ld), ld);
                for (int i = 0; i < Window.KernelH; i++)
                    padded.AsSpan(((oh * Window.StrideH + i) * wp + ow * Window.StrideW) * cin, Window.KernelW * cin).CopyTo(row[(i * Window.KernelW * cin)..]);
                row[PatchSize..].Clear();
            }
    }

    /// <summary>Floats of one sample's input channels-last with its zero padding: (H + 2 ph)(W + 2 pw) Cin.</summary>
    internal int PaddedPlane(Tensor x) => (x.Shape[2] + 2 * Window.PadH) * (x.Shape[3] + 2 * Window.PadW) * InChannels;

    /// <summary>x[sample] (Cin, H, W) -> dst (H + 2 ph, W + 2 pw, Cin), zero in the padding: a patch's kernel row is then
    /// kw·Cin contiguous floats.</summary>
    internal void ChannelsLastPadded(Tensor x, int sample, Span<float> dst)
    {
        int cin = InChannels, h = x.Shape[2], w = x.Shape[3], wp = w + 2 * Window.PadW;
        var plane = x.Data.AsSpan(sample * cin * h * w, cin * h * w);
        dst[..PaddedPlane(x)].Clear();
        for (int ci = 0; ci < cin; ci++)
            for (int y = 0; y < h; y++)
                for (int xx = 0; xx < w; xx++) dst[((y + Window.PadH) * wp + xx + Window.PadW) * cin + ci] = plane[(ci * h + y) * w + xx];
    }

    // dst (ho, wo)[oh, ow] = plane[oh·sh + dh, ow·sw + dw], zero outside: the general case, one row at a time.
    private static void PatchRow(Window2d window, Span<float> plane, Span<float> dst, int h, int w, int ho, int wo, int dh, int dw)
    {
        int sw = window.StrideW;
        int lo = Math.Clamp((-dw + sw - 1) / sw, 0, wo), hi = Math.Clamp((w - 1 - dw) / sw + 1, lo, wo); // columns inside
        if (w - 1 - dw < 0) hi = lo;
        for (int oh = 0; oh < ho; oh++)
        {
            int ih = oh * window.StrideH + dh;
            var row = dst.Slice(oh * wo, wo);
            if ((uint)ih >= (uint)h || hi <= lo) { row.Clear(); continue; }
            row[..lo].Clear();
            if (sw == 1) plane.Slice(ih * w + lo + dw, hi - lo).CopyTo(row[lo..hi]);
            else GatherStrided(plane[(ih * w + lo * sw + dw)..], row[lo..hi], sw);
            row[hi..].Clear();
        }
    }

    // The same for a same-padded plane (stride 1, Ho = H, Wo = W): the valid rows are one contiguous block of the plane
    // shifted by dh*w + dw, copied at once; the |dw| columns that wrapped around a row edge are then zeroed.
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
    private void Col2Im(float[] cols, int n0, int m, Tensor dx)
    {
        int cin = InChannels, h = dx.Shape[2], w = dx.Shape[3], kh = Window.KernelH, kw = Window.KernelW;
        int ho = Window.OutH(h), wo = Window.OutW(w), p = ho * wo;
        bool same = SamePlane(Window, h, w, ho, wo);
        float[] d = dx.Data;
        Parallel.For(0, m * cin, TensorMath.Options((long)m * cin * kh * kw * p), sc =>
        {
            int s = sc / cin, ci = sc % cin;
            var plane = d.AsSpan(((n0 + s) * cin + ci) * h * w, h * w);
            plane.Clear();
            for (int i = 0; i < kh; i++)
                for (int j = 0; j < kw; j++)
                {
                    var src = cols.AsSpan(((ci * kh + i) * kw + j) * m * p + s * p, p);
                    if (same) AddPatchRowSamePadding(src, plane, h, w, i - Window.PadH, j - Window.PadW);
                    else AddPatchRow(src, plane, h, w, ho, wo, i - Window.PadH, j - Window.PadW);
                }
        });
    }

    // plane[oh·sh + dh, ow·sw + dw] += src[oh, ow], dropping what fell outside: the adjoint of PatchRow.
    private void AddPatchRow(Span<float> src, Span<float> plane, int h, int w, int ho, int wo, int dh, int dw)
    {
        int sw = Window.StrideW;
        int lo = Math.Clamp((-dw + sw - 1) / sw, 0, wo), hi = Math.Clamp((w - 1 - dw) / sw + 1, lo, wo);
        if (w - 1 - dw < 0 || hi <= lo) return;
        for (int oh = 0; oh < ho; oh++)
        {
            int ih = oh * Window.StrideH + dh;
            if ((uint)ih >= (uint)h) continue;
            if (sw == 1)
            {
                var to = plane.Slice(ih * w + lo + dw, hi - lo);
                TensorPrimitives.Add(to, src.Slice(oh * wo + lo, hi - lo), to);
            }
            else AddStrided(src.Slice(oh * wo + lo, hi - lo), plane[(ih * w + lo * sw + dw)..], sw);
        }
    }

    /// <summary>dst[t] = src[t·stride] for t &lt; dst.Length; stride 2 eight at a time with AVX2 while 16 floats of src remain.</summary>
    private static void GatherStrided(ReadOnlySpan<float> src, Span<float> dst, int stride)
    {
        int t = 0;
        if (stride == 2 && Avx2.IsSupported)
            for (; t + 8 <= dst.Length && 2 * t + 16 <= src.Length; t += 8)
            {
                // [a0 a2 b0 b2 | a4 a6 b4 b6], then its 64-bit pairs in the order 0 2 1 3.
                var even = Avx.Shuffle(Vector256.Create(src.Slice(2 * t, 8)), Vector256.Create(src.Slice(2 * t + 8, 8)), 0b10_00_10_00);
                Avx2.Permute4x64(even.AsDouble(), 0b11_01_10_00).AsSingle().CopyTo(dst.Slice(t, 8));
            }
        for (; t < dst.Length; t++) dst[t] = src[t * stride];
    }

    /// <summary>dst[t·stride] += src[t] for t &lt; src.Length, the adjoint of <see cref="GatherStrided"/>; stride 2 eight at a
    /// time with AVX2 (src interleaved with zeros, added to 16 floats of dst) while 16 floats of dst remain.</summary>
    private static void AddStrided(ReadOnlySpan<float> src, Span<float> dst, int stride)
    {
        int t = 0;
        if (stride == 2 && Avx.IsSupported)
            for (; t + 8 <= src.Length && 2 * t + 16 <= dst.Length; t += 8)
            {
                var v = Vector256.Create(src.Slice(t, 8));
                Vector256<float> lo = Avx.UnpackLow(v, Vector256<float>.Zero), hi = Avx.UnpackHigh(v, Vector256<float>.Zero); // [v0 0 v1 0 | v4 0 v5 0], [v2 0 v3 0 | v6 0 v7 0]
                var d = dst.Slice(2 * t, 16);
                (Vector256.Create(d[..8]) + Avx.Permute2x128(lo, hi, 0x20)).CopyTo(d);
                (Vector256.Create(d[8..]) + Avx.Permute2x128(lo, hi, 0x31)).CopyTo(d[8..]);
            }
        for (; t < src.Length; t++) dst[t * stride] += src[t];
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

    /// <inheritdoc/>
    public INtkBlock NtkBlock(NodeState state, NtkPlan plan) => new Conv2dNtkBlock(this, state.Input, plan);

    public override string Describe() => $"Conv2d({InChannels} -> {OutChannels}, {Window}{(Bias is null ? ", no bias" : "")})";
}
