using SkiaSharp;

namespace NtkDynamics.Tests.Reporting;

/// <summary>A decoded image: Rgba is (Height, Width, 4) row-major.</summary>
internal sealed record PngImage(int Width, int Height, byte[] Rgba);

/// <summary>PNG files for tests, decoded by SkiaSharp; what is on them, roughly.</summary>
internal static class Png
{
    public static PngImage Decode(byte[] file)
    {
        using SKBitmap decoded = SKBitmap.Decode(file) ?? throw new InvalidDataException("not a PNG file");
        using var rgba = new SKBitmap(new SKImageInfo(decoded.Width, decoded.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        if (!decoded.CopyTo(rgba, SKColorType.Rgba8888)) throw new InvalidDataException("cannot convert the PNG to RGBA");
        return new PngImage(rgba.Width, rgba.Height, rgba.Bytes);
    }

    /// <summary>Fraction of pixels that are not near-white (any channel below 230).</summary>
    public static double InkFraction(PngImage img)
    {
        int ink = 0;
        for (int i = 0; i < img.Width * img.Height; i++)
            if (Math.Min(img.Rgba[4 * i], Math.Min(img.Rgba[4 * i + 1], img.Rgba[4 * i + 2])) < 230) ink++;
        return ink / (double)(img.Width * img.Height);
    }

    /// <summary>Number of distinct colours after quantising each channel to 4 bits.</summary>
    public static int DistinctColours(PngImage img) =>
        Enumerable.Range(0, img.Width * img.Height).Select(i => (img.Rgba[4 * i] >> 4, img.Rgba[4 * i + 1] >> 4, img.Rgba[4 * i + 2] >> 4)).Distinct().Count();

    /// <summary>Whether some pixel is within tol (per channel) of the colour.</summary>
    public static bool HasColour(PngImage img, ScottPlot.Color c, int tol = 8)
    {
        for (int i = 0; i < img.Width * img.Height; i++)
            if (Math.Abs(img.Rgba[4 * i] - c.R) <= tol && Math.Abs(img.Rgba[4 * i + 1] - c.G) <= tol && Math.Abs(img.Rgba[4 * i + 2] - c.B) <= tol) return true;
        return false;
    }
}
