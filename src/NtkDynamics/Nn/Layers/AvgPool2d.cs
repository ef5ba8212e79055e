using NtkDynamics.Tensors;

namespace NtkDynamics.Nn.Layers;

/// <summary>
/// Average pooling as PyTorch's AvgPool2d(kernel, stride (default: the kernel), padding, ceil_mode, count_include_pad):
/// each output is the mean of its window's pixels inside the image, divided by the window's size within the padded image
/// (count_include_pad, the default: zero padding counts, a ceil-mode window's part beyond the padding does not) or by its
/// pixels inside the image. The output size is <see cref="Window2d.Out"/>'s.
/// </summary>
public sealed class AvgPool2d : UnaryLayer
{
    public Window2d Window { get; }
    public bool CeilMode { get; }
    public bool CountIncludePad { get; }

    public AvgPool2d(Window2d window, bool ceilMode = false, bool countIncludePad = true)
    {
        window.Check("AvgPool2d");
        if (2 * window.PadH > window.KernelH || 2 * window.PadW > window.KernelW)
            throw new ArgumentException($"AvgPool2d({window}): padding must be at most half the kernel");
        Window = window; CeilMode = ceilMode; CountIncludePad = countIncludePad;
    }

    public AvgPool2d(int kernel, int? stride = null, int padding = 0, bool ceilMode = false, bool countIncludePad = true)
        : this(Window2d.Square(kernel, stride ?? kernel, padding), ceilMode, countIncludePad) { }

    public override int[] OutputShape(int[] s)
    {
        if (s.Length != 4 || !Window.Fits(s[2], s[3]))
            throw ShapeError($"[N, C, H, W] with H >= {Window.KernelH - 2 * Window.PadH}, W >= {Window.KernelW - 2 * Window.PadW}", s);
        return [s[0], s[1], Window.OutH(s[2], CeilMode), Window.OutW(s[3], CeilMode)];
    }

    // Output (i, j) of an h x w plane: its window's rows [y0, y1) and columns [x0, x1) inside the image, and the divisor.
    private (int Y0, int Y1, int X0, int X1, float Divisor) Cell(int i, int j, int h, int w)
    {
        int y0 = i * Window.StrideH - Window.PadH, x0 = j * Window.StrideW - Window.PadW;
        int y1 = Math.Min(y0 + Window.KernelH, h + Window.PadH), x1 = Math.Min(x0 + Window.KernelW, w + Window.PadW);
        int padded = (y1 - y0) * (x1 - x0);
        y0 = Math.Max(y0, 0); x0 = Math.Max(x0, 0); y1 = Math.Min(y1, h); x1 = Math.Min(x1, w);
        return (y0, y1, x0, x1, CountIncludePad ? padded : (y1 - y0) * (x1 - x0));
    }

    // x: (N, C, H, W) -> y: (N, C, Ho, Wo), y[i, j] = Σ_window x / divisor
    public override Tensor Forward(NodeState state, Tensor x)
    {
        var os = OutputShape(x.Shape);
        var y = Tensor.ReuseUninitialized(ref state.OutputBuffer, os);
        int h = x.Shape[2], w = x.Shape[3], ho = os[2], wo = os[3];
        float[] xd = x.Data, yd = y.Data;
        Parallel.For(0, os[0] * os[1], TensorMath.Options(x.Length), p =>
        {
            int inBase = p * h * w, outBase = p * ho * wo;
            for (int i = 0; i < ho; i++)
                for (int j = 0; j < wo; j++)
                {
                    var (y0, y1, x0, x1, divisor) = Cell(i, j, h, w);
                    float sum = 0;
                    for (int r = y0; r < y1; r++)
                        for (int c = x0; c < x1; c++) sum += xd[inBase + r * w + c];
                    yd[outBase + i * wo + j] = sum / divisor;
                }
        });
        return y;
    }

    // dy: (r·N, C, Ho, Wo) -> dx: (r·N, C, H, W), dx[window] += dy[i, j] / divisor (every plane alike, replicas included)
    public override Tensor? Backward(NodeState state, Tensor gradOutput, Gradients? gradients, bool inputGradient)
    {
        if (!inputGradient) return null;
        var inShape = state.Input.Shape;
        int h = inShape[2], w = inShape[3], ho = gradOutput.Shape[2], wo = gradOutput.Shape[3];
        var dx = Tensor.Reuse(ref state.GradientBuffer, [gradOutput.Shape[0], .. inShape.AsSpan(1)]);
        Array.Clear(dx.Data);
        float[] g = gradOutput.Data, d = dx.Data;
        Parallel.For(0, gradOutput.Shape[0] * gradOutput.Shape[1], TensorMath.Options(dx.Length), p =>
        {
            int inBase = p * h * w, outBase = p * ho * wo;
            for (int i = 0; i < ho; i++)
                for (int j = 0; j < wo; j++)
                {
                    var (y0, y1, x0, x1, divisor) = Cell(i, j, h, w);
                    float v = g[outBase + i * wo + j] / divisor;
                    for (int r = y0; r < y1; r++)
                        for (int c = x0; c < x1; c++) d[inBase + r * w + c] += v;
                }
        });
        return dx;
    }

    public override string Describe() =>
        $"AvgPool2d({Window}{(CeilMode ? ", ceil" : "")}{(CountIncludePad || (Window.PadH == 0 && Window.PadW == 0) ? "" : ", pad not counted")})";
}
