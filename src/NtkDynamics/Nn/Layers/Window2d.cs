namespace NtkDynamics.Nn.Layers;

/// <summary>
/// A sliding window over an image plane, as PyTorch's Conv2d and MaxPool2d take it: kernel, stride and padding per axis;
/// the output is ⌊(H + 2 ph - kh) / sh⌋ + 1 by ⌊(W + 2 pw - kw) / sw⌋ + 1 (floor mode).
/// </summary>
public readonly record struct Window2d(int KernelH, int KernelW, int StrideH, int StrideW, int PadH, int PadW)
{
    /// <summary>A k x k window with one stride and padding on both axes.</summary>
    public static Window2d Square(int kernel, int stride, int padding) => new(kernel, kernel, stride, stride, padding, padding);

    public int OutH(int h) => (h + 2 * PadH - KernelH) / StrideH + 1;
    public int OutW(int w) => (w + 2 * PadW - KernelW) / StrideW + 1;

    /// <summary>Outputs along the height with PyTorch's ceil_mode when <paramref name="ceil"/> (see <see cref="Out"/>).</summary>
    public int OutH(int h, bool ceil) => Out(h, KernelH, StrideH, PadH, ceil);

    /// <summary>Outputs along the width with PyTorch's ceil_mode when <paramref name="ceil"/>.</summary>
    public int OutW(int w, bool ceil) => Out(w, KernelW, StrideW, PadW, ceil);

    /// <summary>
    /// PyTorch's pooling_output_shape for n >= k - 2p: ⌊(n + 2p - k) / s⌋ + 1, or in ceil mode ⌈(n + 2p - k) / s⌉ + 1 less a
    /// last window that would start in the right padding (so every window starts inside the image or its left padding).
    /// </summary>
    public static int Out(int n, int kernel, int stride, int pad, bool ceil)
    {
        int o = (n + 2 * pad - kernel + (ceil ? stride - 1 : 0)) / stride + 1;
        return ceil && (o - 1) * stride >= n + pad ? o - 1 : o;
    }

    /// <summary>Whether a plane of h x w (padded) holds one window.</summary>
    public bool Fits(int h, int w) => h + 2 * PadH >= KernelH && w + 2 * PadW >= KernelW;

    /// <summary>A square kernel, stride 1 and the same padding on both axes.</summary>
    public bool IsSquareUnitStride => KernelH == KernelW && StrideH == 1 && StrideW == 1 && PadH == PadW;

    /// <summary>Throws naming <paramref name="layer"/> unless kernel and stride are at least 1 and the padding is not negative.</summary>
    public void Check(string layer)
    {
        if (KernelH < 1 || KernelW < 1 || StrideH < 1 || StrideW < 1 || PadH < 0 || PadW < 0)
            throw new ArgumentException($"{layer}: kernel and stride must be >= 1 and padding >= 0, got {this}");
    }

    /// <summary>"3x3, stride 2, pad 1" (the stride left out when 1).</summary>
    public override string ToString() =>
        $"{KernelH}x{KernelW}" + (StrideH == 1 && StrideW == 1 ? "" : StrideH == StrideW ? $", stride {StrideH}" : $", stride {StrideH}x{StrideW}") +
        (PadH == PadW ? $", pad {PadH}" : $", pad {PadH}x{PadW}");
}
