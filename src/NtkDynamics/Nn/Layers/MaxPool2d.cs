using NtkDynamics.Tensors;

namespace NtkDynamics.Nn.Layers;

/// <summary>
/// Max pooling over kh x kw windows with a stride (default: the kernel) and -∞ padding, as PyTorch's
/// MaxPool2d(kernel, stride, padding) with floor mode: Ho = ⌊(H + 2 ph - kh) / sh⌋ + 1. Ties pick the first maximum in
/// scan order, as PyTorch; the backward adds each output's gradient at its maximum (overlapping windows add up).
/// </summary>
public sealed class MaxPool2d : UnaryLayer
{
    public Window2d Window { get; }

    /// <summary>Whether this is the 2 x 2, stride 2, unpadded pool (PyTorch's MaxPool2d(2)), which has a fast path and the eNTK's fusion.</summary>
    public bool IsTwoByTwo => Window == Window2d.Square(2, 2, 0);

    public MaxPool2d(int kernel = 2, int? stride = null, int padding = 0) : this(Window2d.Square(kernel, stride ?? kernel, padding)) { }

    public MaxPool2d((int H, int W) kernel, (int H, int W) stride, (int H, int W) padding)
        : this(new Window2d(kernel.H, kernel.W, stride.H, stride.W, padding.H, padding.W)) { }

    public MaxPool2d(Window2d window)
    {
        window.Check("MaxPool2d");
        if (2 * window.PadH > window.KernelH || 2 * window.PadW > window.KernelW)
            throw new ArgumentException($"MaxPool2d({window}): padding must be at most half the kernel");
        Window = window;
    }

    /// <summary>What the pool keeps: for each output, the flat index of its maximum in the input.</summary>
    public sealed class State : NodeState
    {
        public int[] Argmax = [];
    }

    public override NodeState CreateState() => new State();

    public override int[] OutputShape(int[] s)
    {
        if (s.Length != 4 || !Window.Fits(s[2], s[3]))
            throw ShapeError($"[N, C, H, W] with H >= {Window.KernelH - 2 * Window.PadH}, W >= {Window.KernelW - 2 * Window.PadW}", s);
        return [s[0], s[1], Window.OutH(s[2]), Window.OutW(s[3])];
    }

    // x: (N, C, H, W) -> y: (N, C, Ho, Wo); Argmax holds the flat input index of each output's maximum.
    public override Tensor Forward(NodeState state, Tensor x)
    {
        var st = (State)state;
        var os = OutputShape(x.Shape);
        var y = Tensor.ReuseUninitialized(ref state.OutputBuffer, os);
        if (st.Argmax.Length != y.Length) st.Argmax = new int[y.Length];
        int planes = os[0] * os[1], h = x.Shape[2], w = x.Shape[3], ho = os[2], wo = os[3];
        float[] xd = x.Data, yd = y.Data;
        int[] am = st.Argmax;
        Parallel.For(0, planes, TensorMath.Options(planes * h * w), p =>
        {
            if (IsTwoByTwo) PoolTwoByTwo(xd, yd, am, p * h * w, p * ho * wo, w, ho, wo);
            else Pool(xd, yd, am, p * h * w, p * ho * wo, h, w, ho, wo);
        });
        return y;
    }

    // One plane: y[i, j] = max of x[2i..2i+1, 2j..2j+1]; am holds the flat index of the first maximum.
    private static unsafe void PoolTwoByTwo(float[] xd, float[] yd, int[] am, int inBase, int outBase, int w, int ho, int wo)
    {
        fixed (float* px = xd, py = yd) fixed (int* pa = am)
            for (int i = 0; i < ho; i++)
                for (int j = 0; j < wo; j++)
                {
                    // Branch-free (the comparisons are unpredictable): comparisons become 0/1 offsets, values are reloaded.
                    // Strict > keeps the first maximum in scan order, as PyTorch.
                    int idx = inBase + 2 * i * w + 2 * j;
                    int top = idx + (px[idx + 1] > px[idx] ? 1 : 0);
                    int bottom = idx + w + (px[idx + w + 1] > px[idx + w] ? 1 : 0);
                    int best = top + (px[bottom] > px[top] ? 1 : 0) * (bottom - top);
                    float v = px[best];
                    py[outBase + i * wo + j] = v;
                    pa[outBase + i * wo + j] = best;
                }
    }

    // One plane, any window: the first maximum in scan order over the window's pixels inside the image (padding is -∞;
    // a NaN wins, as PyTorch's).
    private void Pool(float[] xd, float[] yd, int[] am, int inBase, int outBase, int h, int w, int ho, int wo)
    {
        for (int i = 0; i < ho; i++)
            for (int j = 0; j < wo; j++)
            {
                int y0 = i * Window.StrideH - Window.PadH, x0 = j * Window.StrideW - Window.PadW, best = -1;
                float max = float.NegativeInfinity;
                for (int y = Math.Max(0, y0); y < Math.Min(h, y0 + Window.KernelH); y++)
                    for (int x = Math.Max(0, x0); x < Math.Min(w, x0 + Window.KernelW); x++)
                    {
                        float v = xd[inBase + y * w + x];
                        if (best < 0 || v > max || float.IsNaN(v)) { max = v; best = inBase + y * w + x; }
                    }
                yd[outBase + i * wo + j] = max;
                am[outBase + i * wo + j] = best;
            }
    }

    // dy: (r·N, C, Ho, Wo) -> dx: (r·N, C, H, W); replica t scatters through the same maxima, offset by t·N·C·H·W.
    public override Tensor? Backward(NodeState state, Tensor gradOutput, Gradients? gradients, bool inputGradient)
    {
        if (!inputGradient) return null;
        var st = (State)state;
        var inShape = state.Input.Shape;
        var dx = Tensor.Reuse(ref state.GradientBuffer, [gradOutput.Shape[0], .. inShape.AsSpan(1)]);
        Array.Clear(dx.Data);
        float[] g = gradOutput.Data, d = dx.Data;
        int[] argmax = st.Argmax;
        int outLen = argmax.Length, inLen = Tensor.Count(inShape);
        for (int t = 0; t * outLen < g.Length; t++)
            for (int o = 0; o < outLen; o++) d[t * inLen + argmax[o]] += g[t * outLen + o];
        return dx;
    }

    public override string Describe() => IsTwoByTwo ? "MaxPool2d(2)" : $"MaxPool2d({Window})";
}
