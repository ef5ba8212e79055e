using NtkDynamics.Formats;
using NtkDynamics.Reporting;
using ScottPlot;
using NtkDynamics.Tensors;

namespace NtkDynamics.Data;

/// <summary>
/// A grid of sample images, one row per class, so a person can check the labels by eye: a figure drawn by ScottPlot with the
/// class names (and counts) beside the rows, as SVG or PNG.
/// </summary>
public static class ContactSheet
{
    private const int Gap = 2, Zoom = 3, LabelRoom = 230;

    /// <summary>
    /// Writes <paramref name="perClass"/> images of each class of <paramref name="split"/> (drawn by <paramref name="seed"/>)
    /// to <paramref name="path"/>: .svg gives an SVG, anything else a PNG. Written atomically.
    /// </summary>
    public static void Write(ImageDataset data, Split split, int perClass, ulong seed, string path)
    {
        Chart sheet = Figure(data, split, perClass, seed);
        if (path.EndsWith(".svg", StringComparison.OrdinalIgnoreCase)) AtomicFile.WriteText(path, sheet.ToSvg());
        else AtomicFile.Write(path, s => s.Write(sheet.ToPng(1)));
    }

    /// <summary>The sheet: the grid enlarged <see cref="Zoom"/> times, pixel for pixel, with one labelled tick per class row.</summary>
    internal static Chart Figure(ImageDataset data, Split split, int perClass, ulong seed)
    {
        ImageSplit s = data[split];
        var (rgb, width, height) = Grid(data, s, perClass, seed);
        var pixels = new byte[height * Zoom, width * Zoom, 3];
        for (int y = 0; y < height * Zoom; y++)
            for (int x = 0; x < width * Zoom; x++)
                for (int c = 0; c < 3; c++) pixels[y, x, c] = rgb[((y / Zoom) * width + x / Zoom) * 3 + c];
        var chart = new Chart(1, 1, LabelRoom + width * Zoom + 12, height * Zoom + 46);
        Plot p = chart.Panel(0, 0);
        p.Title($"{data.Name}, {split.ToString().ToLowerInvariant()} split: {perClass} images per class");
        p.Add.ImageRect(new ScottPlot.Image(pixels), new CoordinateRect(0, width * Zoom, 0, height * Zoom));
        int[] counts = s.CountPerClass(data.NumClasses);
        int cellH = (s.Height + Gap) * Zoom;
        p.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            [.. Enumerable.Range(0, data.NumClasses).Select(c => height * Zoom - (Gap * Zoom + c * cellH + s.Height * Zoom / 2.0))],
            [.. Enumerable.Range(0, data.NumClasses).Select(c => $"{c} {data.ClassNames[c]} ({counts[c]})")]);
        p.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.EmptyTickGenerator();
        p.Axes.SetLimits(0, width * Zoom, 0, height * Zoom);
        p.Grid.IsVisible = false;
        p.Layout.Fixed(new PixelPadding(LabelRoom, 12, 10, 36));
        return chart;
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
}
