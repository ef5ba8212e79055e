using static NtkDynamics.Reporting.Style;

namespace NtkDynamics.Reporting;

/// <summary>One legend row: a series (Kind set) or a shaded range (Kind null).</summary>
internal sealed record LegendEntry(string Label, MarkKind? Kind, Rgb Color, bool Dashed, bool Markers);

/// <summary>Sizes, places and draws a panel's legend box.</summary>
internal static class Legend
{
    private const double Pad = 6, Row = 15, Swatch = 20, Inset = 6;

    public static List<LegendEntry> Entries(Panel p) =>
    [
        .. p.SeriesList.Where(s => s.Label != null).Select(s => new LegendEntry(s.Label!, s.Kind, s.Color, s.Dashed, s.Markers)),
        .. p.Shades.Where(s => s.Label != null).Select(s => new LegendEntry(s.Label!, null, s.Color, false, false)),
    ];

    public static double Width(IReadOnlyList<LegendEntry> entries) =>
        2 * Pad + Swatch + 6 + MaxWidth(entries.Select(e => e.Label), LegendFont);

    public static double Height(IReadOnlyList<LegendEntry> entries) => 2 * Pad + Row * entries.Count - (Row - LegendFont) + 2;

    /// <summary>
    /// The legend's box. Auto tries the four inside corners and keeps the first that covers the fewest obstacle
    /// points (samples along the drawn data); Outside puts it right of the plot (the layout reserved the room).
    /// </summary>
    public static Box Place(LegendPlace place, Box plot, IReadOnlyList<LegendEntry> entries, IReadOnlyList<(double X, double Y)> obstacles)
    {
        double w = Width(entries), h = Height(entries);
        Box Corner(LegendPlace c) => c switch
        {
            LegendPlace.UpperLeft => new Box(plot.X + Inset, plot.Y + Inset, w, h),
            LegendPlace.LowerRight => new Box(plot.Right - Inset - w, plot.Bottom - Inset - h, w, h),
            LegendPlace.LowerLeft => new Box(plot.X + Inset, plot.Bottom - Inset - h, w, h),
            LegendPlace.Outside => new Box(plot.Right + 10, plot.Y, w, h),
            _ => new Box(plot.Right - Inset - w, plot.Y + Inset, w, h),
        };
        if (place != LegendPlace.Auto) return Corner(place);
        LegendPlace[] order = [LegendPlace.UpperRight, LegendPlace.UpperLeft, LegendPlace.LowerRight, LegendPlace.LowerLeft];
        return order.Select(Corner)
            .Select(b => (Box: b, Hits: obstacles.Count(o => new Box(b.X - 3, b.Y - 3, b.W + 6, b.H + 6).Contains(o.X, o.Y))))
            .MinBy(c => c.Hits).Box;
    }

    public static void Draw(SvgWriter w, IReadOnlyList<LegendEntry> entries, Box box)
    {
        w.Open("g", "class=\"legend\"");
        w.Rect(box.X, box.Y, box.W, box.H, White, "fill-opacity=\"0.9\" stroke=\"#cccccc\" stroke-width=\"0.8\" rx=\"3\"");
        for (int i = 0; i < entries.Count; i++)
        {
            LegendEntry e = entries[i];
            double y = box.Y + Pad + 1 + LegendFont / 2 + Row * i, x = box.X + Pad;
            switch (e.Kind)
            {
                case null:
                    w.Rect(x, y - 5, Swatch, 10, e.Color, "fill-opacity=\"0.18\"");
                    break;
                case MarkKind.Line:
                    w.Line(x, y, x + Swatch, y, e.Color, LineWidth, e.Dashed ? "stroke-dasharray=\"5 3\"" : "");
                    if (e.Markers) w.Circle(x + Swatch / 2, y, MarkerRadius, e.Color);
                    break;
                case MarkKind.Bars:
                    w.Rect(x + Swatch / 2 - 5, y - 5, 10, 10, e.Color);
                    break;
                default:
                    w.Circle(x + Swatch / 2, y, ScatterRadius, e.Color);
                    break;
            }
            w.Text(x + Swatch + 6, y, e.Label, LegendFont, Anchor.Start, Ink);
        }
        w.Close("g");
    }
}
