using System.Text;
using ScottPlot;
using SkiaSharp;

namespace NtkDynamics.Reporting;

/// <summary>What <see cref="Chart.Save"/> wrote: the SVG and the PNG beside it.</summary>
public sealed record SavedFigure(string SvgPath, string PngPath);

/// <summary>
/// A figure: ScottPlot plots in a grid of equal cells (rows x cols; cells never asked for stay blank) under an optional
/// title, of a fixed size in pixels. ScottPlot draws every plot, through SkiaSharp, into an SVG or a PNG at twice the size.
/// <code>
/// var chart = new Chart(1, 2, 900, 340) { Title = "Run 3" };
/// Plot p = chart.Panel(0, 0);
/// p.Labels("Kernel distance", "step", "S(Θ₀, Θₜ)");
/// p.Line(steps, distance, "width 64", Look.Sequential(1, 3));
/// p.Switch(1000, "T2");
/// chart.Save("figures/distance.svg");   // and distance.png
/// </code>
/// </summary>
public sealed class Chart
{
    private const float TitleHeight = 34, TitleSize = 16;
    private readonly Plot?[,] _panels;

    /// <param name="rows">Panel rows.</param>
    /// <param name="cols">Panel columns.</param>
    /// <param name="width">Total width in px (default 460 per column).</param>
    /// <param name="height">Total height in px (default 330 per row, plus the title).</param>
    public Chart(int rows = 1, int cols = 1, int? width = null, int? height = null)
    {
        if (rows < 1 || cols < 1) throw new ArgumentOutOfRangeException(nameof(rows), $"a figure needs at least one row and column, got {rows}x{cols}");
        _panels = new Plot?[rows, cols];
        Width = width ?? 460 * cols;
        Height = height ?? 330 * rows;
    }

    public int Rows => _panels.GetLength(0);
    public int Cols => _panels.GetLength(1);
    public int Width { get; }
    public int Height { get; }
    /// <summary>A title above all panels (optional).</summary>
    public string? Title { get; set; }

    /// <summary>The plot at (row, col), created in our <see cref="Look"/> on first use.</summary>
    public Plot Panel(int row, int col)
    {
        if (row < 0 || row >= Rows || col < 0 || col >= Cols) throw new ArgumentOutOfRangeException(nameof(row), $"panel ({row}, {col}) is outside the {Rows}x{Cols} grid");
        if (_panels[row, col] is null)
        {
            Plot plot = Look.NewPlot();
            plot.RenderManager.ClearCanvasBeforeEachRender = false; // each plot paints only its own cell
            _panels[row, col] = plot;
        }
        return _panels[row, col]!;
    }

    /// <summary>The plots created so far, row by row.</summary>
    public IReadOnlyList<Plot> Panels => [.. _panels.Cast<Plot?>().OfType<Plot>()];

    /// <summary>The figure as an SVG document.</summary>
    public string ToSvg()
    {
        using var stream = new MemoryStream();
        using (NativeStderr.Silenced())
        using (SKCanvas canvas = SKSvgCanvas.Create(new SKRect(0, 0, Width, Height), stream))
            Draw(canvas);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>The figure as a PNG, scale times its size in pixels.</summary>
    public byte[] ToPng(float scale = 2)
    {
        using SKSurface surface = SKSurface.Create(new SKImageInfo((int)Math.Ceiling(Width * scale), (int)Math.Ceiling(Height * scale)));
        surface.Canvas.Scale(scale);
        Draw(surface.Canvas);
        using SKImage image = surface.Snapshot();
        using SKData png = image.Encode(SKEncodedImageFormat.Png, 100);
        return png.ToArray();
    }

    /// <summary>Writes the SVG and, beside it (same name, .png), the PNG at twice the size, each atomically (parent folders created).</summary>
    public SavedFigure Save(string svgPath)
    {
        string png = Path.ChangeExtension(svgPath, ".png");
        Formats.AtomicFile.WriteText(svgPath, ToSvg());
        Formats.AtomicFile.Write(png, s => s.Write(ToPng()));
        return new SavedFigure(svgPath, png);
    }

    /// <summary>A white page, the title, then each plot rendered by ScottPlot into its cell (what ScottPlot's Multiplot does, without its clearing the page).</summary>
    private void Draw(SKCanvas canvas)
    {
        canvas.Clear(SKColors.White);
        float top = 0;
        if (Title is string title)
        {
            var label = new LabelStyle { Text = title, FontName = Look.Font, FontSize = TitleSize, Bold = true, ForeColor = Look.Ink, Alignment = Alignment.MiddleCenter };
            using Paint paint = Paint.NewDisposablePaint();
            label.Render(canvas, new Pixel(Width / 2f, TitleHeight / 2f + 2), paint);
            top = TitleHeight;
        }
        float cw = (float)Width / Cols, ch = (Height - top) / Rows;
        using var dry = new SKNoDrawCanvas(Width, Height);
        for (int r = 0; r < Rows; r++)
            for (int c = 0; c < Cols; c++)
                if (_panels[r, c] is Plot plot)
                {
                    var cell = new PixelRect(c * cw, (c + 1) * cw, top + (r + 1) * ch, top + r * ch);
                    // ScottPlot renders again while the axis limits change (the first render fits them to the data), each
                    // time onto the same canvas: a first render onto nothing settles them, so the SVG holds each mark once.
                    plot.Render(dry, cell);
                    plot.Render(canvas, cell);
                }
    }
}
