using System.Buffers.Binary;
using System.IO.Compression;

namespace NtkDynamics.Tests.Reporting;

/// <summary>A decoded image: Rgba is (Height, Width, 4) row-major.</summary>
internal sealed record PngImage(int Width, int Height, byte[] Rgba)
{
    public (byte R, byte G, byte B) Pixel(int x, int y)
    {
        int o = (y * Width + x) * 4;
        return (Rgba[o], Rgba[o + 1], Rgba[o + 2]);
    }
}

/// <summary>A minimal PNG decoder for tests: 8-bit RGB or RGBA, non-interlaced (what rsvg-convert and Chromium write).</summary>
internal static class Png
{
    private static readonly byte[] Signature = [137, 80, 78, 71, 13, 10, 26, 10];

    public static PngImage Decode(byte[] file)
    {
        if (file.Length < 8 || !file.AsSpan(0, 8).SequenceEqual(Signature)) throw new InvalidDataException("not a PNG file");
        int width = 0, height = 0, channels = 0;
        using var idat = new MemoryStream();
        for (int pos = 8; pos + 8 <= file.Length;)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(file.AsSpan(pos));
            string type = System.Text.Encoding.ASCII.GetString(file, pos + 4, 4);
            var data = file.AsSpan(pos + 8, length);
            if (type == "IHDR")
            {
                width = BinaryPrimitives.ReadInt32BigEndian(data);
                height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                byte depth = data[8], colorType = data[9], interlace = data[12];
                if (depth != 8 || interlace != 0 || colorType is not (2 or 6))
                    throw new NotSupportedException($"PNG depth {depth}, colour type {colorType}, interlace {interlace}: only 8-bit RGB/RGBA non-interlaced");
                channels = colorType == 6 ? 4 : 3;
            }
            else if (type == "IDAT") idat.Write(data);
            else if (type == "IEND") break;
            pos += 12 + length;
        }
        if (channels == 0) throw new InvalidDataException("PNG without IHDR");
        idat.Position = 0;
        using var z = new ZLibStream(idat, CompressionMode.Decompress);
        int stride = width * channels;
        var raw = new byte[height * (stride + 1)];
        z.ReadExactly(raw);
        return new PngImage(width, height, ToRgba(Unfilter(raw, width, height, channels), width * height, channels));
    }

    // raw is height rows of (filter byte, stride bytes); returns (height, stride) unfiltered.
    private static byte[] Unfilter(byte[] raw, int width, int height, int bpp)
    {
        int stride = width * bpp;
        var px = new byte[height * stride];
        for (int y = 0; y < height; y++)
        {
            byte filter = raw[y * (stride + 1)];
            for (int i = 0; i < stride; i++)
            {
                int x = raw[y * (stride + 1) + 1 + i];
                int a = i >= bpp ? px[y * stride + i - bpp] : 0;
                int b = y > 0 ? px[(y - 1) * stride + i] : 0;
                int c = i >= bpp && y > 0 ? px[(y - 1) * stride + i - bpp] : 0;
                px[y * stride + i] = (byte)(filter switch
                {
                    0 => x,
                    1 => x + a,
                    2 => x + b,
                    3 => x + (a + b) / 2,
                    4 => x + Paeth(a, b, c),
                    _ => throw new InvalidDataException($"PNG filter {filter}"),
                });
            }
        }
        return px;
    }

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    private static byte[] ToRgba(byte[] px, int n, int channels)
    {
        if (channels == 4) return px;
        var rgba = new byte[n * 4];
        for (int i = 0; i < n; i++)
        {
            rgba[4 * i] = px[3 * i]; rgba[4 * i + 1] = px[3 * i + 1]; rgba[4 * i + 2] = px[3 * i + 2]; rgba[4 * i + 3] = 255;
        }
        return rgba;
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
    public static bool HasColour(PngImage img, NtkDynamics.Reporting.Rgb c, int tol = 8)
    {
        for (int i = 0; i < img.Width * img.Height; i++)
            if (Math.Abs(img.Rgba[4 * i] - c.R) <= tol && Math.Abs(img.Rgba[4 * i + 1] - c.G) <= tol && Math.Abs(img.Rgba[4 * i + 2] - c.B) <= tol) return true;
        return false;
    }
}
