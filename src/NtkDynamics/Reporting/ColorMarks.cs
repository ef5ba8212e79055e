using System.Globalization;
using ScottPlot;
using ScottPlot.Plottables;

namespace NtkDynamics.Reporting;

/// <summary>
/// Colour bars on a ScottPlot <see cref="Plot"/>: a matrix as a heatmap (viridis, row 0 at the top, labelled rows and
/// columns), and a bar naming ordered levels (widths 16, 64, 256) coloured like <see cref="Look.Sequential"/> series.
/// </summary>
public static class ColorMarks
{
    /// <summary>Matrices up to this size get their values written in the cells (when a format is given).</summary>
    private const int MaxTextCells = 12;

    /// <summary>
    /// Draws values as square cells coloured by viridis over [min, max] (default: the finite values' range), NaN cells light
    /// grey, with a colour bar. Cell (i, j) is centred at x = j, y = rows - 1 - i. Row and column labels (default 0, 1, ...)
    /// are thinned to every 1st, 2nd, 5th, 10th, ... when there are many. cellFormat (e.g. "0.00") writes each value in its
    /// cell on small matrices; dividers draws a white line before each of these row and column indices.
    /// </summary>
    public static Heatmap Matrix(this Plot p, double[,] values, string? colorBarLabel, IReadOnlyList<string>? rowLabels = null,
        IReadOnlyList<string>? colLabels = null, double? min = null, double? max = null, string? cellFormat = null, IReadOnlyList<int>? dividers = null)
    {
        int rows = values.GetLength(0), cols = values.GetLength(1);
        if (values.Length == 0) throw new ArgumentException("the heatmap matrix is empty", nameof(values));
        if (rowLabels != null && rowLabels.Count != rows) throw new ArgumentException($"{rowLabels.Count} row labels for {rows} rows", nameof(rowLabels));
        if (colLabels != null && colLabels.Count != cols) throw new ArgumentException($"{colLabels.Count} column labels for {cols} columns", nameof(colLabels));
        double[] finite = [.. values.Cast<double>().Where(double.IsFinite)];
        double lo = min ?? (finite.Length > 0 ? finite.Min() : 0), hi = max ?? (finite.Length > 0 ? finite.Max() : 1);
        if (!(hi > lo)) hi = lo + 1;

        Heatmap map = p.Add.Heatmap(values);
        map.Colormap = Look.Viridis;
        map.NaNCellColor = Look.Missing;
        map.ManualRange = new ScottPlot.Range(lo, hi);
        map.RenderStrategy = new SeamlessCells();
        ScottPlot.Panels.ColorBar bar = p.Add.ColorBar(map);
        bar.Width = 14;
        if (colorBarLabel != null) bar.Label = colorBarLabel;
        bar.Axis.Label.FontSize = Look.LabelSize;
        bar.Axis.Label.Bold = false;
        bar.Axis.TickLabelStyle.FontSize = Look.TickSize;

        p.Axes.Bottom.TickGenerator = Thinned(colLabels ?? Indices(cols), j => j, 16);
        p.Axes.Left.TickGenerator = Thinned(rowLabels ?? Indices(rows), i => rows - 1 - i, 16);
        if (cellFormat != null && Math.Max(rows, cols) <= MaxTextCells)
            for (int i = 0; i < rows; i++)
                for (int j = 0; j < cols; j++)
                    if (double.IsFinite(values[i, j]))
                    {
                        Text t = p.Add.Text(values[i, j].ToString(cellFormat, CultureInfo.InvariantCulture), j, rows - 1 - i);
                        t.Alignment = Alignment.MiddleCenter;
                        t.LabelFontSize = Look.TickSize;
                        t.LabelFontColor = (values[i, j] - lo) / (hi - lo) > 0.6 ? Look.Ink : Colors.White;
                    }
        foreach (int d in (dividers ?? []).Where(d => d > 0))
        {
            if (d < cols) p.Add.VerticalLine(d - 0.5, 1.5f, Colors.White).EnableAutoscale = false;
            if (d < rows) p.Add.HorizontalLine(rows - d - 0.5, 1.5f, Colors.White).EnableAutoscale = false;
        }
        p.Grid.IsVisible = false;
        p.Axes.Margins(0, 0);
        return map;
    }

    /// <summary>
    /// A colour bar beside the plot naming ordered levels (e.g. widths "16", "64", "256"), the first at the bottom, coloured
    /// <see cref="Look.Sequential"/>(i, levels.Count): colour the series the same way to match.
    /// </summary>
    public static ScottPlot.Panels.ColorBar Levels(this Plot p, string? label, IReadOnlyList<string> levels)
    {
        if (levels.Count == 0) throw new ArgumentException("a colour bar needs at least one level", nameof(levels));
        var bar = new ScottPlot.Panels.ColorBar(new LevelScale(levels.Count)) { Width = 12 };
        if (label != null) bar.Label = label;
        bar.Axis.Label.FontSize = Look.LabelSize;
        bar.Axis.Label.Bold = false;
        bar.Axis.TickLabelStyle.FontSize = Look.TickSize;
        bar.Axis.TickGenerator = new ScottPlot.TickGenerators.NumericManual([.. levels.Select((_, i) => i + 0.5)], [.. levels]);
        p.Axes.AddPanel(bar);
        return bar;
    }

    private static string[] Indices(int n) => [.. Enumerable.Range(0, n).Select(i => i.ToString(CultureInfo.InvariantCulture))];

    /// <summary>Ticks at every stride-th label (stride 1, 2, 5, 10, 20, ... keeping at most maxLabels), placed by at(index).</summary>
    private static ScottPlot.TickGenerators.NumericManual Thinned(IReadOnlyList<string> labels, Func<int, double> at, int maxLabels)
    {
        int stride = Stride(labels.Count, maxLabels);
        int[] shown = [.. Enumerable.Range(0, labels.Count).Where(i => i % stride == 0)];
        return new([.. shown.Select(i => at(i))], [.. shown.Select(i => labels[i])]);
    }

    private static int Stride(int count, int maxLabels)
    {
        for (int s = 1; ; s *= 10)
            foreach (int m in new[] { 1, 2, 5 })
                if ((count + s * m - 1) / (s * m) <= maxLabels) return s * m;
    }

    /// <summary>
    /// Draws a heatmap as one rectangle per cell, each reaching half a pixel into its right and lower neighbours. ScottPlot's
    /// bitmap strategy is smoothed when a browser scales the SVG's embedded image, and its rectangle strategy leaves
    /// anti-aliased hairlines between cells; the overlap hides them.
    /// </summary>
    private sealed class SeamlessCells : Heatmap.IRenderStrategy
    {
        public void Render(RenderPack rp, Heatmap map)
        {
            CoordinateRect extent = map.GetAlignedExtent();
            int rows = map.Intensities.GetLength(0), cols = map.Intensities.GetLength(1);
            ScottPlot.Range range = map.GetRange();
            var fill = new FillStyle { AntiAlias = false };
            for (int i = 0; i < rows; i++)
                for (int j = 0; j < cols; j++)
                {
                    double v = map.Intensities[i, j], left = extent.Left + j * map.CellWidth, top = extent.Top - i * map.CellHeight;
                    PixelRect cell = map.Axes.GetPixelRect(new CoordinateRect(left, left + map.CellWidth, top - map.CellHeight, top));
                    fill.Color = double.IsNaN(v) ? map.NaNCellColor : map.Colormap.GetColor(v, range);
                    Drawing.FillRectangle(rp.Canvas, new PixelRect(cell.Left, cell.Right + (j + 1 < cols ? 0.5f : 0), cell.Bottom + (i + 1 < rows ? 0.5f : 0), cell.Top), rp.Paint, fill);
                }
        }
    }

    /// <summary>k ordered levels as blocks of <see cref="Look.Sequential"/> colours over [0, k]: level i fills [i, i + 1].</summary>
    private sealed class LevelScale(int k) : IHasColorAxis, IColormap
    {
        public string Name => "levels";
        public IColormap Colormap => this;
        public ScottPlot.Range GetRange() => new(0, k);
        public Color GetColor(double position) => Look.Sequential(Math.Clamp((int)(position * k), 0, k - 1), k);
    }
}
