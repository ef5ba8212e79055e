using ScottPlot;
using ScottPlot.Plottables;

namespace NtkDynamics.Reporting;

/// <summary>
/// What our figures put on a ScottPlot <see cref="Plot"/>, in our look: lines that break at missing values, dots, error
/// bars, dashed task-switch lines labelled above the plot, legends outside the data, fixed ticks, and log axes. A log axis
/// (<see cref="LogX"/>, <see cref="LogY"/>) holds log10 of the values: call it before adding data, and every mark here
/// converts; values &lt;= 0 cannot be drawn there and are dropped with a note in the plot's corner.
/// </summary>
public static class PlotMarks
{
    public const float LineWidth = 1.6f, MarkerSize = 5.5f, DotSize = 6;

    /// <summary>Puts a log scale on the x axis.</summary>
    public static void LogX(this Plot p) => p.Axes.Bottom.TickGenerator = new LogTicks();

    /// <summary>Puts a log scale on the y axis.</summary>
    public static void LogY(this Plot p) => p.Axes.Left.TickGenerator = new LogTicks();

    public static bool IsLogX(this Plot p) => p.Axes.Bottom.TickGenerator is LogTicks;

    public static bool IsLogY(this Plot p) => p.Axes.Left.TickGenerator is LogTicks;

    /// <summary>Where x is drawn (log10 on a log axis).</summary>
    public static double ToX(this Plot p, double x) => p.IsLogX() ? Math.Log10(x) : x;

    /// <summary>Where y is drawn (log10 on a log axis).</summary>
    public static double ToY(this Plot p, double y) => p.IsLogY() ? Math.Log10(y) : y;

    /// <summary>The panel's title and axis labels (null leaves one out).</summary>
    public static void Labels(this Plot p, string? title, string? x, string? y)
    {
        if (title != null) p.Title(title);
        if (x != null) p.XLabel(x);
        if (y != null) p.YLabel(y);
    }

    /// <summary>
    /// A line through (xs[i], ys[i]), dashed and/or with a dot at every point. Points that cannot be drawn (NaN, infinite,
    /// or &lt;= 0 on a log axis) break it: one ScottPlot scatter per unbroken run, the first one carrying the label; a run
    /// of one point shows as a dot.
    /// </summary>
    public static IReadOnlyList<Scatter> Line(this Plot p, IReadOnlyList<double> xs, IReadOnlyList<double> ys, string? label, Color color,
        bool dashed = false, bool markers = false)
    {
        var runs = new List<Scatter>();
        foreach (Coordinates[] run in Runs(p, xs, ys, label))
        {
            Scatter s = p.Add.ScatterLine(run, color);
            s.LineWidth = LineWidth;
            s.LinePattern = dashed ? LinePattern.Dashed : LinePattern.Solid;
            s.MarkerShape = MarkerShape.FilledCircle;
            s.MarkerSize = markers ? MarkerSize : run.Length == 1 ? LineWidth * 2 : 0;
            if (runs.Count == 0 && label != null) s.LegendText = label;
            runs.Add(s);
        }
        return runs;
    }

    /// <summary>A dot at every drawable (xs[i], ys[i]).</summary>
    public static Scatter Dots(this Plot p, IReadOnlyList<double> xs, IReadOnlyList<double> ys, string? label, Color color)
    {
        Scatter s = p.Add.ScatterPoints(Runs(p, xs, ys, label).SelectMany(r => r).ToArray(), color);
        s.MarkerSize = DotSize;
        if (label != null) s.LegendText = label;
        return s;
    }

    /// <summary>Vertical error bars ys[i] ± errors[i] with caps (none where the error is NaN; on a log axis the lower end stops at the axis).</summary>
    public static ErrorBar ErrorBars(this Plot p, IReadOnlyList<double> xs, IReadOnlyList<double> ys, IReadOnlyList<double> errors, Color color)
    {
        if (xs.Count != ys.Count || errors.Count != ys.Count) throw new ArgumentException($"{xs.Count} x values, {ys.Count} y values and {errors.Count} errors");
        var (x, y, up, down) = (new List<double>(), new List<double>(), new List<double>(), new List<double>());
        for (int i = 0; i < xs.Count; i++)
        {
            double e = Math.Abs(errors[i]);
            if (!double.IsFinite(e) || !Drawable(p.IsLogX(), xs[i]) || !Drawable(p.IsLogY(), ys[i])) continue;
            double at = p.ToY(ys[i]);
            x.Add(p.ToX(xs[i]));
            y.Add(at);
            up.Add(p.ToY(ys[i] + e) - at);
            down.Add(Drawable(p.IsLogY(), ys[i] - e) ? at - p.ToY(ys[i] - e) : 1e3);
        }
        var bars = new ErrorBar(x, y, null, null, up, down) { Color = color, LineWidth = 1.2f, CapSize = 6 };
        p.PlottableList.Add(bars);
        return bars;
    }

    /// <summary>A dashed grey vertical line at x across the plot, its label above the plot (e.g. "T2" where task 2 starts).</summary>
    public static VerticalLine Switch(this Plot p, double x, string? label)
    {
        VerticalLine v = p.Add.VerticalLine(p.ToX(x), 1, Look.Grey, LinePattern.Dashed);
        v.LabelOppositeAxis = true;
        v.LabelFontSize = Look.NoteSize;
        v.LabelFontColor = Look.Ink;
        v.LabelBackgroundColor = Colors.Transparent;
        v.LabelBold = false;
        v.LabelPadding = 2;
        if (label != null) v.Text = label;
        // room for the labels between the title and the plot.
        p.Axes.Top.MinimumSize = Math.Max(p.Axes.Top.MinimumSize, Look.NoteSize + 8);
        return v;
    }

    /// <summary>The legend right of (or below) the data area, where it cannot cover data.</summary>
    public static void LegendOutside(this Plot p, Edge edge = Edge.Right) => p.ShowLegend(edge);

    /// <summary>Labelled x ticks at exactly these values (e.g. a sweep's widths) instead of automatic ones; on a log axis, call <see cref="LogX"/> first.</summary>
    public static void XTicksAt(this Plot p, IReadOnlyList<double> values)
    {
        double[] at = [.. values.Where(v => Drawable(p.IsLogX(), v)).Distinct().Order()];
        p.Axes.Bottom.TickGenerator = p.IsLogX() ? new LogTicks { Fixed = at } : new ScottPlot.TickGenerators.NumericManual(at, [.. at.Select(LogTicks.Label)]);
    }

    /// <summary>Fixes the y axis' ends (null: fitted to the data with a margin). Call it after adding the data.</summary>
    public static void YRange(this Plot p, double? min, double? max)
    {
        p.Axes.AutoScale();
        AxisLimits fit = p.Axes.GetLimits();
        p.Axes.SetLimitsY(min is double a ? p.ToY(a) : fit.Bottom, max is double b ? p.ToY(b) : fit.Top);
    }

    private static bool Drawable(bool log, double v) => double.IsFinite(v) && (!log || v > 0);

    /// <summary>The unbroken runs of drawable points, converted to the axes' units; adds the note about values &lt;= 0 on a log axis.</summary>
    private static List<Coordinates[]> Runs(Plot p, IReadOnlyList<double> xs, IReadOnlyList<double> ys, string? label)
    {
        if (xs.Count != ys.Count) throw new ArgumentException($"series '{label}': {xs.Count} x values but {ys.Count} y values");
        bool logX = p.IsLogX(), logY = p.IsLogY();
        var runs = new List<Coordinates[]>();
        var run = new List<Coordinates>();
        int dropped = 0;
        for (int i = 0; i <= xs.Count; i++)
        {
            if (i < xs.Count && Drawable(logX, xs[i]) && Drawable(logY, ys[i])) { run.Add(new(p.ToX(xs[i]), p.ToY(ys[i]))); continue; }
            if (i < xs.Count && double.IsFinite(xs[i]) && double.IsFinite(ys[i])) dropped++;
            if (run.Count > 0) runs.Add([.. run]);
            run.Clear();
        }
        if (dropped > 0)
        {
            Annotation note = p.Add.Annotation($"{dropped} value{(dropped > 1 ? "s" : "")} ≤ 0 not shown (log axis)", Alignment.LowerLeft);
            note.LabelFontSize = Look.NoteSize;
            note.LabelFontColor = Look.Grey;
            note.LabelBackgroundColor = Colors.White.WithAlpha(0.8);
            note.LabelBorderColor = Colors.Transparent;
            note.LabelShadowColor = Colors.Transparent;
        }
        return runs;
    }
}
