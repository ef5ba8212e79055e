using static NtkDynamics.Reporting.Style;

namespace NtkDynamics.Reporting;

/// <summary>What <see cref="Figure.Save"/> wrote: the SVG always, the PNG only when rsvg-convert is on PATH.</summary>
/// <param name="SvgPath">The SVG written.</param>
/// <param name="PngPath">The PNG beside it, or null when none was written.</param>
/// <param name="PngSkipped">Why no PNG was written (null when one was).</param>
public sealed record SavedFigure(string SvgPath, string? PngPath, string? PngSkipped);

/// <summary>
/// A figure: a grid of panels (rows x cols) of equal size, drawn as one standalone SVG.
/// <code>
/// var fig = new Figure(1, 2, 900, 340) { Title = "Run 3" };
/// var p = fig.Panel(0, 0);
/// p.Title = "Kernel distance"; p.XLabel = "step"; p.YScale = Scale.Log;
/// p.Line(steps, distance, "width 64", Colors.Sequential(1, 3));
/// p.VLine(1000, "task 2");
/// fig.Save("figures/distance.svg");   // + distance.png when rsvg-convert is on PATH
/// </code>
/// </summary>
public sealed class Figure
{
    private readonly Panel?[,] _panels;

    /// <param name="rows">Panel rows.</param>
    /// <param name="cols">Panel columns.</param>
    /// <param name="width">Total width in px (default 460 per column).</param>
    /// <param name="height">Total height in px (default 330 per row, plus the title).</param>
    public Figure(int rows = 1, int cols = 1, double? width = null, double? height = null)
    {
        if (rows < 1 || cols < 1) throw new ArgumentOutOfRangeException(nameof(rows), $"a figure needs at least one row and column, got {rows}x{cols}");
        _panels = new Panel?[rows, cols];
        Width = width ?? 460 * cols;
        Height = height ?? 330 * rows;
    }

    public int Rows => _panels.GetLength(0);
    public int Cols => _panels.GetLength(1);
    public double Width { get; }
    public double Height { get; }
    /// <summary>A title above all panels (optional).</summary>
    public string? Title { get; set; }

    /// <summary>The panel at (row, col), created on first use; cells never asked for stay empty.</summary>
    public Panel Panel(int row, int col)
    {
        if (row < 0 || row >= Rows || col < 0 || col >= Cols) throw new ArgumentOutOfRangeException(nameof(row), $"panel ({row}, {col}) is outside the {Rows}x{Cols} grid");
        return _panels[row, col] ??= new Panel();
    }

    /// <summary>The whole figure as an SVG document (no XML declaration, so it can also be inlined in HTML).</summary>
    public string ToSvg()
    {
        var w = new SvgWriter();
        string size = $"width=\"{SvgWriter.N(Width)}\" height=\"{SvgWriter.N(Height)}\" viewBox=\"0 0 {SvgWriter.N(Width)} {SvgWriter.N(Height)}\"";
        w.Open("svg", $"xmlns=\"http://www.w3.org/2000/svg\" {size} font-family=\"sans-serif\"");
        w.Rect(0, 0, Width, Height, White);
        double top = 0;
        if (Title is string t)
        {
            w.Text(Width / 2, Outer + FigureTitleFont / 2 + 2, t, FigureTitleFont, Anchor.Middle, Ink, extra: "font-weight=\"600\" class=\"figure-title\"");
            top = FigureTitleFont + 14;
        }
        double cw = Width / Cols, ch = (Height - top) / Rows;
        for (int r = 0; r < Rows; r++)
            for (int c = 0; c < Cols; c++)
                _panels[r, c]?.Render(w, new Box(c * cw, top + r * ch, cw, ch));
        w.Close("svg");
        return w.ToString();
    }

    /// <summary>
    /// Writes the SVG atomically (parent folders created) and, when rsvg-convert is on PATH, a PNG at twice the size
    /// beside it (same name, .png). A missing or failing converter does not throw: see <see cref="SavedFigure.PngSkipped"/>.
    /// </summary>
    public SavedFigure Save(string svgPath)
    {
        Formats.AtomicFile.WriteText(svgPath, ToSvg());
        string png = Path.ChangeExtension(svgPath, ".png");
        string? skipped = FileOutput.SvgToPng(svgPath, png);
        return new SavedFigure(svgPath, skipped is null ? png : null, skipped);
    }
}
