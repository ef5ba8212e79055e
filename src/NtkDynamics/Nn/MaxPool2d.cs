using NtkDynamics.Tensors;

namespace NtkDynamics.Nn;

/// <summary>2x2 max pooling with stride 2; odd sizes are floored, as PyTorch's MaxPool2d(2). Ties pick the first maximum.</summary>
public sealed class MaxPool2d : Layer
{
    private Tensor? _y, _dx;
    private int[] _argmax = [];
    private int[] _inShape = [];

    /// <summary>The output of the last forward pass (N, C, H/2, W/2).</summary>
    internal Tensor Output => _y ?? throw new InvalidOperationException("MaxPool2d: no forward pass yet");

    /// <summary>For each output of the last forward pass, the flat index of its maximum in the input.</summary>
    internal int[] Argmax => _argmax;

    /// <summary>The input shape of the last forward pass.</summary>
    internal int[] InputShape => _inShape;

    public override int[] OutputShape(int[] s)
    {
        if (s.Length != 4 || s[2] < 2 || s[3] < 2) throw ShapeError("[N, C, H, W] with H, W >= 2", s);
        return [s[0], s[1], s[2] / 2, s[3] / 2];
    }

    // x: (N, C, H, W) -> y: (N, C, H/2, W/2); _argmax holds the flat input index of each output's maximum.
    public override Tensor Forward(Tensor x)
    {
        var os = OutputShape(x.Shape);
        _inShape = x.Shape;
        var y = Tensor.Reuse(ref _y, os);
        if (_argmax.Length != y.Length) _argmax = new int[y.Length];
        int planes = os[0] * os[1], h = x.Shape[2], w = x.Shape[3], ho = os[2], wo = os[3];
        float[] xd = x.Data, yd = y.Data;
        int[] am = _argmax;
        Parallel.For(0, planes, TensorMath.Options(planes * h * w), p => Pool(xd, yd, am, p * h * w, p * ho * wo, w, ho, wo));
        return y;
    }

    // One plane: y[i, j] = max of x[2i..2i+1, 2j..2j+1]; am holds the flat index of the first maximum.
    private static unsafe void Pool(float[] xd, float[] yd, int[] am, int inBase, int outBase, int w, int ho, int wo)
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

    // dy: (r·N, C, H/2, W/2) -> dx: (r·N, C, H, W); replica t scatters through the same maxima, offset by t·N·C·H·W.
    public override Tensor Backward(Tensor gradOutput, bool accumulate = true)
    {
        var dx = Tensor.Reuse(ref _dx, [gradOutput.Shape[0], .. _inShape.AsSpan(1)]);
        Array.Clear(dx.Data);
        float[] g = gradOutput.Data, d = dx.Data;
        int outLen = _argmax.Length, inLen = Tensor.Count(_inShape);
        for (int t = 0; t * outLen < g.Length; t++)
            for (int o = 0; o < outLen; o++) d[t * inLen + _argmax[o]] += g[t * outLen + o];
        return dx;
    }

    public override string Describe() => "MaxPool2d(2)";
}
