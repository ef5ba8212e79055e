using System.Globalization;
using static NtkDynamics.Reporting.Style;

namespace NtkDynamics.Reporting;

/// <summary>Lays out and draws a panel with x/y axes: limits, ticks, margins, then every mark in a clipped plot area.</summary>
internal static class XyRenderer
{
    private const double Pad = 0.04, TickTop = TickLength + 3, Sample = 4, Dash = 5;
    private const string Halo = "stroke=\"#ffffff\" stroke-width=\"3\" stroke-opacity=\"0.85\" paint-order=\"stroke\"";

    public static void Render(Panel p, SvgWriter w, Box cell)
    {
        (double x0, double x1, double y0, double y1) = Limits(p);
        var entries = p.Legend == LegendPlace.None ? [] : Legend.Entries(p);
        bool legendOutside = p.Legend == LegendPlace.Outside && entries.Count > 0;
        double plotH = Math.Max(10, cell.H - Top(p) - Bottom(p, TickTop));
        TickSet yt = Ticks.For(p.YScale, y0, y1, Math.Clamp((int)(plotH / 45), 2, 8));
        double yLabelX = cell.X + YLabelRoom(p) - LabelFont / 2 - 8;
        double left = YLabelRoom(p) + MaxWidth(yt.Labels, TickFont) + TickTop;
        double legendRoom = legendOutside ? Legend.Width(entries) + 10 : 0;
        double right = Outer + 6 + legendRoom + (p.ColorBarSpec is { } cb ? ColorBar.Width(cb, plotH) : 0);
        var plot = new Box(cell.X + left, cell.Y + Top(p), Math.Max(10, cell.W - left - right), plotH);
        var xa = new Axis(p.XScale, x0, x1, plot.X, plot.Right);
        var ya = new Axis(p.YScale, y0, y1, plot.Bottom, plot.Y);
        TickSet xt = p.XTickValues is { } fixedTicks && Fixed(fixedTicks, xa) is var f && Fits(f, xa) ? f : XTicks(xa, plot.W);

        w.Open("g", "class=\"panel\"");
        var obstacles = new List<(double X, double Y)>();
        w.Open("svg", $"x=\"{SvgWriter.N(plot.X - 3)}\" y=\"{SvgWriter.N(plot.Y - 3)}\" width=\"{SvgWriter.N(plot.W + 6)}\" height=\"{SvgWriter.N(plot.H + 6)}\" " +
            $"viewBox=\"{SvgWriter.N(plot.X - 3)} {SvgWriter.N(plot.Y - 3)} {SvgWriter.N(plot.W + 6)} {SvgWriter.N(plot.H + 6)}\" overflow=\"hidden\"");
        foreach (Shade s in p.Shades)
        {
            double a = Clamp(xa, s.X0, plot), b = Clamp(xa, s.X1, plot);
            w.Rect(a, plot.Y, Math.Max(0.5, b - a), plot.H, s.Color, "class=\"shade\" fill-opacity=\"0.15\"");
        }
        if (p.Grid)
        {
            foreach (double t in xt.Major) w.Line(xa.ToPixel(t), plot.Y, xa.ToPixel(t), plot.Bottom, GridLine, 0.8);
            foreach (double t in yt.Major) w.Line(plot.X, ya.ToPixel(t), plot.Right, ya.ToPixel(t), GridLine, 0.8);
        }
        foreach (RefLine r in p.RefLines.Where(r => Axis.Drawable(r.Vertical ? p.XScale : p.YScale, r.At)))
        {
            double at = (r.Vertical ? xa : ya).ToPixel(r.At);
            if (r.Vertical) w.Line(at, plot.Y, at, plot.Bottom, r.Color, 1, "class=\"vline\" stroke-dasharray=\"4 3\"");
            else w.Line(plot.X, at, plot.Right, at, r.Color, 1, "class=\"hline\" stroke-dasharray=\"4 3\"");
            for (double t = 0; t <= 1; t += 0.05)
                obstacles.Add(r.Vertical ? (at, plot.Y + t * plot.H) : (plot.X + t * plot.W, at));
        }
        double baseline = p.YScale == Scale.Log ? plot.Bottom : Math.Clamp(ya.ToPixel(0), plot.Y, plot.Bottom);
        foreach (Series s in p.SeriesList) DrawSeries(w, s, xa, ya, baseline, obstacles);
        w.Close("svg");

        RefLineLabels(w, p, xa, ya, plot, obstacles);
        Axes(w, xa, ya, xt, yt, plot);
        Frame(w, p, cell, plot, plot.Bottom + TickTop + TickFont + 8 + LabelFont / 2, yLabelX);
        if (p.DroppedNonPositive is int dropped and > 0)
            w.Text(plot.X + 4, plot.Bottom - 4 - NoteFont / 2, $"{dropped} value{(dropped > 1 ? "s" : "")} ≤ 0 not shown (log axis)",
                NoteFont, Anchor.Start, Colors.Grey, extra: "class=\"note\" " + Halo);
        if (entries.Count > 0)
            Legend.Draw(w, entries, Legend.Place(p.Legend, plot, entries, obstacles));
        if (p.ColorBarSpec is { } bar)
            ColorBar.Draw(w, bar, plot.Right + legendRoom, plot.Y, plot.H);
        w.Close("g");
    }

    /// <summary>Axis limits from every drawable point, reference line and shade; bars and stems include their baseline.</summary>
    private static (double X0, double X1, double Y0, double Y1) Limits(Panel p)
    {
        var xs = new List<double>();
        var ys = new List<double>();
        foreach (Series s in p.SeriesList)
            for (int i = 0; i < s.Xs.Length; i++)
                if (Axis.Drawable(p.XScale, s.Xs[i]) && Axis.Drawable(p.YScale, s.Ys[i]))
                {
                    xs.Add(s.Xs[i]);
                    ys.Add(s.Ys[i]);
                    if (s.Errors?[i] is double e && double.IsFinite(e)) ys.AddRange([s.Ys[i] - e, s.Ys[i] + e]);
                }
        foreach (Series s in p.SeriesList.Where(s => s.Kind == MarkKind.Bars)) xs.AddRange(BarEnds(s, p.XScale));
        xs.AddRange(p.RefLines.Where(r => r.Vertical).Select(r => r.At));
        xs.AddRange(p.Shades.SelectMany(s => new[] { s.X0, s.X1 }));
        ys.AddRange(p.RefLines.Where(r => !r.Vertical).Select(r => r.At));
        bool bars = p.SeriesList.Any(s => s.Kind is MarkKind.Bars or MarkKind.Stems) && p.YScale == Scale.Linear;
        double? yMin = p.YMin;
        if (bars)
        {
            if (ys.All(y => y >= 0)) yMin ??= 0;
            ys.Add(0);
        }
        (double x0, double x1) = Axis.Limits(xs, p.XScale, Pad, p.XMin, p.XMax);
        (double y0, double y1) = Axis.Limits(ys, p.YScale, Pad, yMin, p.YMax);
        return (x0, x1, y0, y1);
    }

    /// <summary>The outer edges of the first and last bar (half the closest spacing beyond the ends).</summary>
    private static IEnumerable<double> BarEnds(Series s, Scale scale)
    {
        bool log = scale == Scale.Log;
        double[] u = [.. s.Xs.Where(x => Axis.Drawable(scale, x)).Select(x => log ? Math.Log10(x) : x).Order()];
        if (u.Length < 2) yield break;
        double half = 0.5 * Enumerable.Range(1, u.Length - 1).Select(i => u[i] - u[i - 1]).Where(d => d > 0).DefaultIfEmpty(1).Min();
        foreach (double e in new[] { u[0] - half, u[^1] + half }) yield return log ? Math.Pow(10, e) : e;
    }

    /// <summary>The caller's ticks that fall inside the axis, labelled plainly.</summary>
    private static TickSet Fixed(IReadOnlyList<double> values, Axis a)
    {
        List<double> inside = [.. values.Where(v => Axis.Drawable(a.Scale, v) && v >= a.Min && v <= a.Max).Distinct().Order()];
        return new TickSet(inside, [.. inside.Select(v => Ticks.Format(double.Parse(v.ToString("G3", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture)))], []);
    }

    /// <summary>Whether neighbouring tick labels keep 8 px apart.</summary>
    private static bool Fits(TickSet t, Axis xa)
    {
        for (int i = 1; i < t.Major.Count; i++)
            if (xa.ToPixel(t.Major[i]) - xa.ToPixel(t.Major[i - 1]) < (SvgWriter.TextWidth(t.Labels[i], TickFont) + SvgWriter.TextWidth(t.Labels[i - 1], TickFont)) / 2 + 8)
                return false;
        return true;
    }

    /// <summary>The most ticks (up to about one per 55 px) whose labels do not collide.</summary>
    private static TickSet XTicks(Axis xa, double width)
    {
        TickSet t = Ticks.For(xa.Scale, xa.Min, xa.Max, 2);
        for (int target = Math.Clamp((int)(width / 55), 2, 10); target >= 2; target--)
        {
            t = Ticks.For(xa.Scale, xa.Min, xa.Max, target);
            if (Fits(t, xa)) break;
        }
        return t;
    }

    private static double Clamp(Axis a, double v, Box plot) =>
        Axis.Drawable(a.Scale, v) ? Math.Clamp(a.ToPixel(v), plot.X, plot.Right) : plot.X;

    private static void DrawSeries(SvgWriter w, Series s, Axis xa, Axis ya, double baseline, List<(double X, double Y)> obstacles)
    {
        var pts = new List<(double X, double Y)?>(s.Xs.Length);
        for (int i = 0; i < s.Xs.Length; i++)
            pts.Add(Axis.Drawable(xa.Scale, s.Xs[i]) && Axis.Drawable(ya.Scale, s.Ys[i]) ? (xa.ToPixel(s.Xs[i]), ya.ToPixel(s.Ys[i])) : null);
        string label = s.Label != null ? $" data-label=\"{SvgWriter.Escape(s.Label)}\"" : "";
        w.Open("g", $"class=\"series\" data-kind=\"{s.Kind.ToString().ToLowerInvariant()}\"{label}");
        switch (s.Kind)
        {
            case MarkKind.Line:
                Polyline(w, s, pts, obstacles);
                break;
            case MarkKind.Bars:
                double width = 0.8 * MinSpacing(pts, xa);
                foreach (var (x, y) in pts.OfType<(double X, double Y)>())
                {
                    w.Rect(x - width / 2, Math.Min(y, baseline), width, Math.Abs(baseline - y), s.Color);
                    AddSegment(obstacles, (x, y), (x, baseline));
                }
                break;
            case MarkKind.Stems:
                foreach (var (x, y) in pts.OfType<(double X, double Y)>())
                {
                    w.Line(x, baseline, x, y, s.Color, 1);
                    AddSegment(obstacles, (x, y), (x, baseline));
                }
                break;
        }
        if (s.Errors is { } errors) ErrorBars(w, s, errors, xa, ya, obstacles);
        if (s.Markers)
            foreach (var (x, y) in pts.OfType<(double X, double Y)>())
            {
                w.Circle(x, y, s.Kind == MarkKind.Line ? MarkerRadius : ScatterRadius, s.Color, s.Kind == MarkKind.Scatter ? "fill-opacity=\"0.8\"" : "");
                obstacles.Add((x, y));
            }
        w.Close("g");
    }

    /// <summary>A vertical bar from y - e to y + e with short caps at every point whose error is finite (the lower end is clipped on a log axis).</summary>
    private static void ErrorBars(SvgWriter w, Series s, double[] errors, Axis xa, Axis ya, List<(double X, double Y)> obstacles)
    {
        const double cap = 3;
        for (int i = 0; i < s.Xs.Length; i++)
        {
            double x = s.Xs[i], y = s.Ys[i], e = Math.Abs(errors[i]);
            if (!Axis.Drawable(xa.Scale, x) || !Axis.Drawable(ya.Scale, y) || !double.IsFinite(e)) continue;
            double px = xa.ToPixel(x), top = ya.ToPixel(y + e);
            double bottom = Axis.Drawable(ya.Scale, y - e) ? ya.ToPixel(y - e) : Math.Max(ya.P0, ya.P1);
            w.Line(px, top, px, bottom, s.Color, 1.1, "class=\"errorbar\"");
            w.Line(px - cap, top, px + cap, top, s.Color, 1.1);
            if (Axis.Drawable(ya.Scale, y - e)) w.Line(px - cap, bottom, px + cap, bottom, s.Color, 1.1);
            AddSegment(obstacles, (px, top), (px, bottom));
        }
    }

    /// <summary>One path per series; an undrawable point ends a run (a gap), and a run of one point is drawn as a dot.</summary>
    private static void Polyline(SvgWriter w, Series s, List<(double X, double Y)?> pts, List<(double X, double Y)> obstacles)
    {
        var d = new System.Text.StringBuilder();
        var singles = new List<(double X, double Y)>();
        (double X, double Y)? prev = null;
        for (int i = 0; i < pts.Count; i++)
        {
            if (pts[i] is not { } q) { prev = null; continue; }
            d.Append(prev is null ? (d.Length > 0 ? " M" : "M") : " L").Append(SvgWriter.N(q.X)).Append(',').Append(SvgWriter.N(q.Y));
            if (prev is { } a) AddSegment(obstacles, a, q);
            if (prev is null && (i + 1 == pts.Count || pts[i + 1] is null)) singles.Add(q);
            prev = q;
        }
        if (d.Length > 0) w.Path(d.ToString(), s.Color, LineWidth, s.Dashed ? $"stroke-dasharray=\"{Dash} 3\"" : "");
        if (!s.Markers)
            foreach (var (x, y) in singles) { w.Circle(x, y, LineWidth, s.Color); obstacles.Add((x, y)); }
    }

    private static double MinSpacing(List<(double X, double Y)?> pts, Axis xa)
    {
        double[] xs = [.. pts.OfType<(double X, double Y)>().Select(q => q.X).Order()];
        double min = Enumerable.Range(1, Math.Max(0, xs.Length - 1)).Select(i => xs[i] - xs[i - 1]).Where(d => d > 0.01).DefaultIfEmpty(double.PositiveInfinity).Min();
        return Math.Max(1, Math.Min(min, Math.Abs(xa.P1 - xa.P0) / 8));
    }

    private static void AddSegment(List<(double X, double Y)> obstacles, (double X, double Y) a, (double X, double Y) b)
    {
        int n = (int)Math.Ceiling(Math.Min(500, Math.Max(Math.Abs(b.X - a.X), Math.Abs(b.Y - a.Y)) / Sample));
        for (int k = 0; k <= n; k++)
            obstacles.Add((a.X + (b.X - a.X) * k / Math.Max(1, n), a.Y + (b.Y - a.Y) * k / Math.Max(1, n)));
    }

    /// <summary>Labels of reference lines over the data: vertical ones along the top (stacked when they would collide), horizontal ones at the right end.</summary>
    private static void RefLineLabels(SvgWriter w, Panel p, Axis xa, Axis ya, Box plot, List<(double X, double Y)> obstacles)
    {
        const double size = NoteFont + 0.5;
        var rowEnds = new List<double>();
        foreach (RefLine r in p.RefLines.Where(r => r.Label != null && Axis.Drawable(r.Vertical ? p.XScale : p.YScale, r.At)))
        {
            double at = (r.Vertical ? xa : ya).ToPixel(r.At);
            if (r.Vertical ? at < plot.X - 0.5 || at > plot.Right + 0.5 : at < plot.Y - 0.5 || at > plot.Bottom + 0.5) continue;
            double width = SvgWriter.TextWidth(r.Label!, size);
            double x, y;
            Anchor anchor;
            if (r.Vertical)
            {
                bool flip = at + 3 + width > plot.Right;
                (x, anchor) = flip ? (at - 3, Anchor.End) : (at + 3, Anchor.Start);
                double start = flip ? x - width : x;
                int row = rowEnds.FindIndex(end => end < start);
                if (row < 0) { row = rowEnds.Count; rowEnds.Add(0); }
                rowEnds[row] = start + width + 4;
                y = plot.Y + 4 + size / 2 + row * (size + 3);
                for (double t = 0; t <= 1; t += 0.25) obstacles.Add((start + t * width, y));
            }
            else
            {
                (x, y, anchor) = (plot.Right - 4, at - 3 - size / 2, Anchor.End);
                for (double t = 0; t <= 1; t += 0.25) obstacles.Add((x - t * width, y));
            }
            w.Text(x, y, r.Label!, size, anchor, Rgb.Mix(r.Color, Ink, 0.4), extra: $"class=\"{(r.Vertical ? "vline" : "hline")}-label\" {Halo}");
        }
    }

    private static void Axes(SvgWriter w, Axis xa, Axis ya, TickSet xt, TickSet yt, Box plot)
    {
        w.Open("g", "class=\"axes\"");
        w.Line(plot.X, plot.Y, plot.X, plot.Bottom, Spine, 1, "stroke-linecap=\"square\"");
        w.Line(plot.X, plot.Bottom, plot.Right, plot.Bottom, Spine, 1, "stroke-linecap=\"square\"");
        for (int i = 0; i < xt.Major.Count; i++)
        {
            double x = xa.ToPixel(xt.Major[i]);
            w.Line(x, plot.Bottom, x, plot.Bottom + TickLength, Spine, 1);
            w.Text(x, plot.Bottom + TickTop + TickFont / 2, xt.Labels[i], TickFont, Anchor.Middle, Ink, extra: "class=\"xtick\"");
        }
        foreach (double t in xt.Minor) w.Line(xa.ToPixel(t), plot.Bottom, xa.ToPixel(t), plot.Bottom + TickLength * 0.6, Spine, 0.7);
        for (int i = 0; i < yt.Major.Count; i++)
        {
            double y = ya.ToPixel(yt.Major[i]);
            w.Line(plot.X - TickLength, y, plot.X, y, Spine, 1);
            w.Text(plot.X - TickTop, y, yt.Labels[i], TickFont, Anchor.End, Ink, extra: "class=\"ytick\"");
        }
        foreach (double t in yt.Minor) w.Line(plot.X - TickLength * 0.6, ya.ToPixel(t), plot.X, ya.ToPixel(t), Spine, 0.7);
        w.Close("g");
    }
}
