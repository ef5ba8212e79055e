namespace NtkDynamics.Continual;

/// <summary>
/// A fixed change of one task's inputs in a domain-incremental stream (the labels stay): applied to every normalised image
/// of the task, in training, testing and in its probe rows.
/// </summary>
public abstract class InputTransform
{
    /// <summary>
    /// Transforms one normalised image (C, H, W) in place. <paramref name="fill"/> holds, per channel, the normalised value of
    /// a black pixel (what a rotation shows where no source pixel falls); <paramref name="scratch"/> has C·H·W floats.
    /// </summary>
    public abstract void Apply(Span<float> image, int channels, int height, int width, ReadOnlySpan<float> fill, Span<float> scratch);

    /// <summary>A short description for stream.txt ("rotation by 37.5°", "pixel permutation 3f2a…").</summary>
    public abstract string Describe();
}

/// <summary>
/// A fixed permutation of the H·W pixel positions, the same for every channel (Permuted MNIST, Goodfellow et al. 2013):
/// output position p takes input position <see cref="Source"/>[p].
/// </summary>
public sealed class PixelPermutation : InputTransform
{
    /// <summary>Source[p] = the input position shown at output position p (row-major over H x W).</summary>
    public int[] Source { get; }

    public PixelPermutation(int[] source)
    {
        var seen = new bool[source.Length];
        foreach (int s in source)
        {
            if ((uint)s >= (uint)source.Length || seen[s]) throw new ArgumentException("not a permutation of 0..n-1");
            seen[s] = true;
        }
        Source = source;
    }

    // image: (C, H, W); every channel's plane is permuted the same way
    public override void Apply(Span<float> image, int channels, int height, int width, ReadOnlySpan<float> fill, Span<float> scratch)
    {
        int plane = height * width;
        if (plane != Source.Length) throw new ArgumentException($"a permutation of {Source.Length} pixels applied to {height}x{width} images");
        image.CopyTo(scratch);
        for (int c = 0; c < channels; c++)
        {
            var src = scratch.Slice(c * plane, plane);
            var dst = image.Slice(c * plane, plane);
            for (int p = 0; p < plane; p++) dst[p] = src[Source[p]];
        }
    }

    /// <summary>The share of pixel positions where this and <paramref name="other"/> show the same input pixel.</summary>
    public double Agreement(PixelPermutation other) =>
        (double)Source.Where((s, p) => other.Source[p] == s).Count() / Source.Length;

    public override string Describe() => $"pixel permutation (fixes {Source.Where((s, p) => s == p).Count()} of {Source.Length} positions)";
}

/// <summary>
/// A fixed rotation by <see cref="Degrees"/> counter-clockwise about the image centre, with bilinear interpolation; where the
/// rotated image has no source pixel it is black (Rotated MNIST, as Mammoth's rot-mnist, which uses nearest-neighbour).
/// </summary>
public sealed class Rotation(double degrees) : InputTransform
{
    public double Degrees { get; } = degrees;

    // image: (C, H, W); output pixel (y, x) samples the input at the inverse rotation of (y, x) about ((H-1)/2, (W-1)/2)
    public override void Apply(Span<float> image, int channels, int height, int width, ReadOnlySpan<float> fill, Span<float> scratch)
    {
        int plane = height * width;
        image.CopyTo(scratch);
        double a = Degrees * Math.PI / 180, cos = Math.Cos(a), sin = Math.Sin(a);
        double cy = (height - 1) / 2.0, cx = (width - 1) / 2.0;
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                // counter-clockwise on screen (y grows downwards): the source is the output point rotated clockwise
                double dx = x - cx, dy = y - cy;
                double sx = cx + cos * dx - sin * dy, sy = cy + sin * dx + cos * dy;
                int x0 = (int)Math.Floor(sx), y0 = (int)Math.Floor(sy);
                double fx = sx - x0, fy = sy - y0;
                for (int c = 0; c < channels; c++)
                {
                    var src = scratch.Slice(c * plane, plane);
                    double v00 = Pixel(src, y0, x0, height, width, fill[c]), v01 = Pixel(src, y0, x0 + 1, height, width, fill[c]);
                    double v10 = Pixel(src, y0 + 1, x0, height, width, fill[c]), v11 = Pixel(src, y0 + 1, x0 + 1, height, width, fill[c]);
                    image[c * plane + y * width + x] = (float)((1 - fy) * ((1 - fx) * v00 + fx * v01) + fy * ((1 - fx) * v10 + fx * v11));
                }
            }
    }

    private static double Pixel(ReadOnlySpan<float> plane, int y, int x, int height, int width, float fill) =>
        (uint)y < (uint)height && (uint)x < (uint)width ? plane[y * width + x] : fill;

    /// <summary>1 - (the smaller angle between the two rotations) / 180°.</summary>
    public double Similarity(Rotation other)
    {
        double d = Math.Abs(Degrees - other.Degrees) % 360;
        return 1 - Math.Min(d, 360 - d) / 180;
    }

    public override string Describe() => $"rotation by {Degrees:0.##}°";
}
