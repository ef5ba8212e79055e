namespace NtkDynamics.Reporting;

/// <summary>Where a panel's legend goes. Auto picks the inside corner that covers the fewest data points.</summary>
public enum LegendPlace { Auto, UpperRight, UpperLeft, LowerRight, LowerLeft, Outside, None }

/// <summary>
/// One plot of a <see cref="Figure"/>: x/y axes with nice ticks, and what is drawn on them, in the order added:
/// lines, scatter, bars and stems, reference lines, shaded x-ranges; or a heatmap (a panel holds one or the other).
/// Series without a colour take the next categorical colour; series without a label stay out of the legend.
/// NaN or infinite values are gaps (a line breaks there); on a log axis values &lt;= 0 are dropped too, and the
/// panel says how many in a small note.
/// </summary>
public sealed class Panel
{
    private readonly List<Series> _series = [];
    private readonly List<RefLine> _refLines = [];
    private readonly List<Shade> _shades = [];

    internal IReadOnlyList<Series> SeriesList => _series;
    internal IReadOnlyList<RefLine> RefLines => _refLines;
    internal IReadOnlyList<Shade> Shades => _shades;
    internal HeatmapData? HeatmapContent { get; private set; }
    internal ColorBarSpec? ColorBarSpec { get; private set; }

    public string? Title { get; set; }
    public string? XLabel { get; set; }
    public string? YLabel { get; set; }
    public Scale XScale { get; set; }
    public Scale YScale { get; set; }
    /// <summary>Fixed axis ends; null (the default) fits the data with a small margin.</summary>
    public double? XMin { get; set; }
    public double? XMax { get; set; }
    public double? YMin { get; set; }
    public double? YMax { get; set; }
    /// <summary>Labelled x ticks at exactly these values (e.g. the widths of a sweep) instead of automatic ones.</summary>
    public IReadOnlyList<double>? XTickValues { get; set; }
    public LegendPlace Legend { get; set; }
    /// <summary>Light grid lines at the major ticks (default on).</summary>
    public bool Grid { get; set; } = true;

    /// <summary>How many finite points cannot be drawn because they are &lt;= 0 on a log axis.</summary>
    public int DroppedNonPositive => _series.Sum(s => s.Xs.Zip(s.Ys).Count(p =>
        double.IsFinite(p.First) && double.IsFinite(p.Second)
        && ((XScale == Scale.Log && p.First <= 0) || (YScale == Scale.Log && p.Second <= 0))));

    /// <summary>
    /// A line through (xs[i], ys[i]); dashed and/or with a dot at every point; with errors, a vertical error bar
    /// ys[i] ± errors[i] at every point (NaN errors draw none).
    /// </summary>
    public void Line(IReadOnlyList<double> xs, IReadOnlyList<double> ys, string? label = null, Rgb? color = null,
        bool dashed = false, bool markers = false, IReadOnlyList<double>? errors = null) => Add(MarkKind.Line, xs, ys, label, color, dashed, markers, errors);

    /// <summary>Dots at (xs[i], ys[i]).</summary>
    public void Scatter(IReadOnlyList<double> xs, IReadOnlyList<double> ys, string? label = null, Rgb? color = null) =>
        Add(MarkKind.Scatter, xs, ys, label, color, false, true);

    /// <summary>Bars from the baseline (0, or the bottom of a log axis) up to ys[i], centred on xs[i].</summary>
    public void Bars(IReadOnlyList<double> xs, IReadOnlyList<double> ys, string? label = null, Rgb? color = null) =>
        Add(MarkKind.Bars, xs, ys, label, color, false, false);

    /// <summary>Stems (a thin line from the baseline and a dot) at (xs[i], ys[i]): a spectrum with many values.</summary>
    public void Stems(IReadOnlyList<double> xs, IReadOnlyList<double> ys, string? label = null, Rgb? color = null) =>
        Add(MarkKind.Stems, xs, ys, label, color, false, true);

    /// <summary>A dashed vertical line at x across the plot, its label at the top (e.g. a task switch).</summary>
    public void VLine(double x, string? label = null, Rgb? color = null) =>
        _refLines.Add(new RefLine(true, x, label, color ?? Colors.Grey));

    /// <summary>A dashed horizontal reference line at y, its label at the right end.</summary>
    public void HLine(double y, string? label = null, Rgb? color = null) =>
        _refLines.Add(new RefLine(false, y, label, color ?? Colors.Grey));

    /// <summary>A light band over x in [x0, x1] (e.g. the epochs of one task); a label puts it in the legend.</summary>
    public void ShadeX(double x0, double x1, string? label = null, Rgb? color = null) =>
        _shades.Add(new Shade(Math.Min(x0, x1), Math.Max(x0, x1), label, color ?? Colors.Grey));

    /// <summary>
    /// A colour bar beside an x/y plot (a heatmap draws its own) naming ordered levels (e.g. widths "16", "64", "256"), coloured
    /// <see cref="Colors.Sequential"/>(i, levels.Count): colour series the same way to match.
    /// </summary>
    public void ColorBar(string? label, IReadOnlyList<string> levels)
    {
        if (levels.Count == 0) throw new ArgumentException("a colour bar needs at least one level", nameof(levels));
        ColorBarSpec = new ColorBarSpec(label, levels, 0, 0);
    }

    /// <summary>
    /// Draws a matrix as cells coloured by viridis over [min, max] (default: the finite values' range), row 0 at
    /// the top, with a colour bar. cellFormat (e.g. "0.00") writes each value in its cell where it fits.
    /// NaN cells are light grey. Row/column labels default to 0, 1, 2, ... dividers draws a white line before each of
    /// these row and column indices (e.g. where a task switch falls between measurements).
    /// </summary>
    public void Heatmap(double[,] values, string? colorBarLabel = null, string? cellFormat = null,
        IReadOnlyList<string>? rowLabels = null, IReadOnlyList<string>? colLabels = null, double? min = null, double? max = null,
        IReadOnlyList<int>? dividers = null)
    {
        if (_series.Count > 0 || _refLines.Count > 0 || _shades.Count > 0) throw new InvalidOperationException("a panel holds either a heatmap or series, not both");
        if (values.Length == 0) throw new ArgumentException("the heatmap matrix is empty", nameof(values));
        if (rowLabels != null && rowLabels.Count != values.GetLength(0)) throw new ArgumentException($"{rowLabels.Count} row labels for {values.GetLength(0)} rows", nameof(rowLabels));
        if (colLabels != null && colLabels.Count != values.GetLength(1)) throw new ArgumentException($"{colLabels.Count} column labels for {values.GetLength(1)} columns", nameof(colLabels));
        HeatmapContent = new HeatmapData(values, colorBarLabel, cellFormat, rowLabels, colLabels, min, max, dividers);
    }

    internal void Render(SvgWriter w, Box cell)
    {
        if (HeatmapContent != null) HeatmapRenderer.Render(this, HeatmapContent, w, cell);
        else XyRenderer.Render(this, w, cell);
    }

    private void Add(MarkKind kind, IReadOnlyList<double> xs, IReadOnlyList<double> ys, string? label, Rgb? color, bool dashed, bool markers,
        IReadOnlyList<double>? errors = null)
    {
        if (HeatmapContent != null) throw new InvalidOperationException("a panel holds either a heatmap or series, not both");
        if (xs.Count != ys.Count) throw new ArgumentException($"series '{label}': {xs.Count} x values but {ys.Count} y values");
        if (errors != null && errors.Count != ys.Count) throw new ArgumentException($"series '{label}': {errors.Count} errors but {ys.Count} y values");
        _series.Add(new Series(kind, [.. xs], [.. ys], label, color ?? Colors.Categorical(_series.Count), dashed, markers, errors is null ? null : [.. errors]));
    }
}
