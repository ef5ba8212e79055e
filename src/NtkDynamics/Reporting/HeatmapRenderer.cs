using System.Globalization;
using static NtkDynamics.Reporting.Style;

namespace NtkDynamics.Reporting;

/// <summary>Draws a heatmap panel: square cells (row 0 at the top), thinned row/column labels, optional cell text, a colour bar.</summary>
internal static class HeatmapRenderer
{
    private const double LabelGap = 4, MinCellFont = 6;

    public static void Render(Panel p, HeatmapData h, SvgWriter w, Box cell)
    {
        int rows = h.Values.GetLength(0), cols = h.Values.GetLength(1);
        (double lo, double hi) = Axis.Limits(h.Values.Cast<double>(), Scale.Linear, 0, h.Min, h.Max);
        IReadOnlyList<string> rowLabels = h.RowLabels ?? Indices(rows), colLabels = h.ColLabels ?? Indices(cols);
        double availH = Math.Max(10, cell.H - Top(p) - Bottom(p, LabelGap));
        var bar = new ColorBarSpec(h.ColorBarLabel, null, lo, hi);
        double rowLabelWidth = MaxWidth(rowLabels, TickFont);
        double left = YLabelRoom(p) + rowLabelWidth + LabelGap;
        double availW = Math.Max(10, cell.W - left - Outer - ColorBar.Width(bar, availH));
        double side = Math.Max(0.5, Math.Min(availW / cols, availH / rows));
        var plot = new Box(cell.X + left + (availW - side * cols) / 2, cell.Y + Top(p), side * cols, side * rows);

        w.Open("g", "class=\"panel heatmap\"");
        string stroke = side >= 14 ? " stroke=\"#ffffff\" stroke-width=\"0.6\"" : "";
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++)
            {
                double v = h.Values[i, j];
                bool finite = double.IsFinite(v);
                Rgb fill = finite ? Colors.Viridis((v - lo) / (hi - lo)) : Missing;
                double x = plot.X + j * side, y = plot.Y + i * side;
                // without cell borders, overlap the next cell by half a pixel so anti-aliasing leaves no seams.
                double seam = stroke.Length == 0 ? 0.5 : 0;
                w.Rect(x, y, side + (j + 1 < cols ? seam : 0), side + (i + 1 < rows ? seam : 0), fill, $"class=\"cell\" data-value=\"{(finite ? v.ToString("R", CultureInfo.InvariantCulture) : "NaN")}\"{stroke}");
                if (finite && h.CellFormat is string fmt) CellText(w, v.ToString(fmt, CultureInfo.InvariantCulture), x, y, side, fill);
            }
        foreach (int d in (h.Dividers ?? []).Where(d => d > 0))
        {
            if (d < cols) w.Line(plot.X + d * side, plot.Y, plot.X + d * side, plot.Bottom, White, 1.5, "class=\"divider\"");
            if (d < rows) w.Line(plot.X, plot.Y + d * side, plot.Right, plot.Y + d * side, White, 1.5, "class=\"divider\"");
        }
        int colStride = Stride(side, MaxWidth(colLabels, TickFont) + 6), rowStride = Stride(side, TickFont + 2);
        for (int j = 0; j < cols; j += colStride)
            w.Text(plot.X + (j + 0.5) * side, plot.Bottom + LabelGap + TickFont / 2, colLabels[j], TickFont, Anchor.Middle, Ink, extra: "class=\"xtick\"");
        for (int i = 0; i < rows; i += rowStride)
            w.Text(plot.X - LabelGap, plot.Y + (i + 0.5) * side, rowLabels[i], TickFont, Anchor.End, Ink, extra: "class=\"ytick\"");
        Frame(w, p, cell, plot, plot.Bottom + LabelGap + TickFont + 8 + LabelFont / 2, plot.X - LabelGap - rowLabelWidth - 8 - LabelFont / 2);
        ColorBar.Draw(w, bar, plot.Right, plot.Y, plot.H);
        w.Close("g");
    }

    private static string[] Indices(int n) => [.. Enumerable.Range(0, n).Select(i => i.ToString(CultureInfo.InvariantCulture))];

    /// <summary>Label every stride-th cell, stride from 1, 2, 5, 10, 20, ... so that labels are at least need px apart.</summary>
    private static int Stride(double cell, double need)
    {
        for (int s = 1; ; s *= 10)
            foreach (int m in new[] { 1, 2, 5 })
                if (s * m * cell >= need) return s * m;
    }

    /// <summary>The value centred in its cell, dark on light cells and white on dark ones; skipped when it cannot fit.</summary>
    private static void CellText(SvgWriter w, string text, double x, double y, double side, Rgb fill)
    {
        double size = Math.Min(TickFont, side * 0.4);
        double width = SvgWriter.TextWidth(text, size);
        if (width > side * 0.9) size *= side * 0.9 / width;
        if (size < MinCellFont) return;
        w.Text(x + side / 2, y + side / 2, text, size, Anchor.Middle, fill.Luminance > 0.3 ? Ink : White, extra: "class=\"cell-text\"");
    }
}
