namespace NtkDynamics.Data;

/// <summary>Image resizing by area averaging (each output pixel is the mean of the source area it covers).</summary>
public static class AreaResize
{
    /// <summary>
    /// Resizes planes: src is (C, H, W), dst is (C, h, w), uint8, rounding to nearest. Works both ways
    /// (for enlarging it is a box filter); the same size copies.
    /// </summary>
    public static void Planes(ReadOnlySpan<byte> src, int channels, int height, int width, Span<byte> dst, int outHeight, int outWidth)
    {
        var (rowStart, rowWeights) = Weights(height, outHeight);
        var (colStart, colWeights) = Weights(width, outWidth);
        var row = new double[width];
        for (int c = 0; c < channels; c++)
        {
            var plane = src.Slice(c * height * width, height * width);
            var outPlane = dst.Slice(c * outHeight * outWidth, outHeight * outWidth);
            for (int oy = 0; oy < outHeight; oy++)
            {
                // row = the source rows this output row covers, averaged with their overlap weights
                Array.Clear(row);
                for (int k = 0; k < rowWeights[oy].Length; k++)
                {
                    var line = plane.Slice((rowStart[oy] + k) * width, width);
                    double wy = rowWeights[oy][k];
                    for (int x = 0; x < width; x++) row[x] += wy * line[x];
                }
                for (int ox = 0; ox < outWidth; ox++)
                {
                    double v = 0;
                    for (int k = 0; k < colWeights[ox].Length; k++) v += colWeights[ox][k] * row[colStart[ox] + k];
                    outPlane[oy * outWidth + ox] = (byte)Math.Clamp(Math.Round(v), 0, 255);
                }
            }
        }
    }

    /// <summary>For each output index, the first source index it overlaps and the overlap weights (summing to 1).</summary>
    private static (int[] Start, double[][] Weights) Weights(int n, int outN)
    {
        var start = new int[outN];
        var weights = new double[outN][];
        double scale = (double)n / outN;
        for (int o = 0; o < outN; o++)
        {
            double lo = o * scale, hi = (o + 1) * scale;
            int first = (int)Math.Floor(lo), last = Math.Min(n - 1, (int)Math.Ceiling(hi) - 1);
            start[o] = first;
            weights[o] = new double[last - first + 1];
            for (int i = first; i <= last; i++)
                weights[o][i - first] = (Math.Min(hi, i + 1) - Math.Max(lo, i)) / scale;
        }
        return (start, weights);
    }
}
