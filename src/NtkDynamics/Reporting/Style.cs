namespace NtkDynamics.Reporting;

/// <summary>A rectangle in pixels.</summary>
internal readonly record struct Box(double X, double Y, double W, double H)
{
    public double Right => X + W;
    public double Bottom => Y + H;
    public bool Contains(double x, double y) => x >= X && x <= Right && y >= Y && y <= Bottom;
}

/// <summary>Font sizes, colours and spacings shared by every panel, so all figures look alike.</summary>
internal static class Style
{
    public const double TickFont = 11, LabelFont = 12, TitleFont = 13, FigureTitleFont = 15, LegendFont = 10.5, NoteFont = 9.5;
    public const double TickLength = 4, Gap = 4, Outer = 8;
    public const double LineWidth = 1.6, MarkerRadius = 2.6, ScatterRadius = 3;
    public static readonly Rgb Ink = Rgb.Parse("#222222");
    public static readonly Rgb Spine = Rgb.Parse("#444444");
    public static readonly Rgb GridLine = Rgb.Parse("#e6e6e6");
    public static readonly Rgb Missing = Rgb.Parse("#eeeeee");
    public static readonly Rgb White = Rgb.Parse("#ffffff");

    public static double MaxWidth(IEnumerable<string> labels, double size) =>
        labels.Select(l => SvgWriter.TextWidth(l, size)).DefaultIfEmpty(0).Max();

    /// <summary>The panel title centred above the plot, the x label centred at xLabelY, the y label (rotated) at yLabelX.</summary>
    public static void Frame(SvgWriter w, Panel p, Box cell, Box plot, double xLabelY, double yLabelX)
    {
        if (p.Title is string t)
            w.Text(plot.X + plot.W / 2, cell.Y + Outer + TitleFont / 2, t, TitleFont, Anchor.Middle, Ink, extra: "font-weight=\"600\"");
        if (p.XLabel is string xl)
            w.Text(plot.X + plot.W / 2, xLabelY, xl, LabelFont, Anchor.Middle, Ink);
        if (p.YLabel is string yl)
            w.Text(yLabelX, plot.Y + plot.H / 2, yl, LabelFont, Anchor.Middle, Ink, rotate: -90);
    }

    /// <summary>Room above the plot: the outer margin and, when there is one, the title.</summary>
    public static double Top(Panel p) => Outer + (p.Title != null ? TitleFont + 8 : 4);

    /// <summary>Room left of the tick labels for the rotated y label.</summary>
    public static double YLabelRoom(Panel p) => Outer + (p.YLabel != null ? LabelFont + 8 : 0);

    /// <summary>Room below the plot: tick labels (their top tickTop below the plot), the x label, the outer margin.</summary>
    public static double Bottom(Panel p, double tickTop) => tickTop + TickFont + (p.XLabel != null ? 8 + LabelFont : 0) + Outer;
}
