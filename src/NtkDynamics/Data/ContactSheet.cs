using System.Security;
using System.Text;
using NtkDynamics.Formats;
using NtkDynamics.Tensors;

namespace NtkDynamics.Data;

/// <summary>
/// A grid of sample images, one row per class, so a person can check the labels by eye: a PNG, or an SVG with the
/// class names beside the rows and the grid embedded as a PNG.
/// </summary>
public static class ContactSheet
{
    private const int Gap = 2;

    /// <summary>
    /// Writes <paramref name="perClass"/> images of each class of <paramref name="split"/> (drawn by <paramref name="seed"/>)
    /// to <paramref name="path"/>: .svg gives an SVG with class names, anything else a PNG. Written atomically.
    /// </summary>
    public static void Write(ImageDataset data, Split split, int perClass, ulong seed, string path)
    {
        var (grid, width, height) = Grid(data, data[split], perClass, seed);
        byte[] png = Png.Encode(grid, width, height, 3);
        byte[] bytes = path.EndsWith(".svg", StringComparison.OrdinalIgnoreCase) ? Svg(data, data[split], png, width, height) : png;
        if (Path.GetDirectoryName(Path.GetFullPath(path)) is { } folder) Directory.CreateDirectory(folder);
        string temp = path + ".tmp";
        File.WriteAllBytes(temp, bytes);
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>The grid as RGB (height, width, 3): rows = classes, columns = samples, grey gaps; empty cells stay grey.</summary>
    internal static (byte[] Rgb, int Width, int Height) Grid(ImageDataset data, ImageSplit s, int perClass, ulong seed)
    {
        int cellW = s.Width + Gap, cellH = s.Height + Gap;
        int width = perClass * cellW + Gap, height = data.NumClasses * cellH + Gap;
        var rgb = new byte[width * height * 3];
        Array.Fill(rgb, (byte)128);
        var rng = new Rng(seed);
        int[][] byClass = s.IndicesPerClass(data.NumClasses);
        for (int c = 0; c < data.NumClasses; c++)
        {
            int[] pool = byClass[c];
            rng.Shuffle(pool.AsSpan());
            for (int k = 0; k < Math.Min(perClass, pool.Length); k++)
            {
                var image = s.Image(pool[k]);
                int plane = s.Height * s.Width;
                for (int y = 0; y < s.Height; y++)
                    for (int x = 0; x < s.Width; x++)
                    {
                        int dst = (((Gap + c * cellH + y) * width) + Gap + k * cellW + x) * 3;
                        for (int ch = 0; ch < 3; ch++) rgb[dst + ch] = image[Math.Min(ch, s.Channels - 1) * plane + y * s.Width + x];
                    }
            }
        }
        return (rgb, width, height);
    }

    private static byte[] Svg(ImageDataset data, ImageSplit s, byte[] png, int width, int height)
    {
        const int scale = 3, labelWidth = 220;
        int cellH = (s.Height + Gap) * scale;
        var svg = new StringBuilder();
        svg.Append($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{labelWidth + width * scale}\" height=\"{height * scale}\" font-family=\"sans-serif\" font-size=\"14\">\n");
        svg.Append($"<image x=\"{labelWidth}\" y=\"0\" width=\"{width * scale}\" height=\"{height * scale}\" style=\"image-rendering:pixelated\" href=\"data:image/png;base64,{Convert.ToBase64String(png)}\"/>\n");
        int[] counts = s.CountPerClass(data.NumClasses);
        for (int c = 0; c < data.NumClasses; c++)
        {
            double y = (Gap * scale) + c * cellH + s.Height * scale / 2.0 + 5;
            svg.Append($"<text x=\"{labelWidth - 8}\" y=\"{y:F0}\" text-anchor=\"end\">{c} {SecurityElement.Escape(data.ClassNames[c])} ({counts[c]})</text>\n");
        }
        svg.Append("</svg>\n");
        return Encoding.UTF8.GetBytes(svg.ToString());
    }
}
