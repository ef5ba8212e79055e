using ScottPlot;

namespace NtkDynamics.Reporting;

/// <summary>
/// How our figures look, on top of ScottPlot's defaults: DejaVu Sans at fixed sizes, light grid lines, no shadows, and two
/// palettes: a categorical one (Category 10) for unordered series and viridis for ordered ones (widths 16, 64, 256, ...)
/// and for heatmaps.
/// </summary>
public static class Look
{
    /// <summary>The font every label uses (Debian's fonts-dejavu-core; ScottPlot falls back to another font without it).</summary>
    public const string Font = "DejaVu Sans";

    public const float TitleSize = 14, LabelSize = 13, TickSize = 11.5f, LegendSize = 11.5f, NoteSize = 11;

    public static Color Ink { get; } = Color.FromHex("#222222");
    /// <summary>Reference lines, notes and light dots.</summary>
    public static Color Grey { get; } = Color.FromHex("#777777");
    public static Color GridLine { get; } = Color.FromHex("#e4e4e4");
    /// <summary>Heatmap cells without a value.</summary>
    public static Color Missing { get; } = Color.FromHex("#eeeeee");

    private static readonly ScottPlot.Palettes.Category10 Category10 = new();

    /// <summary>The lightest end used for lines: the last tenth of viridis is too pale on white.</summary>
    private const double SeriesTop = 0.88;

    /// <summary>Viridis: dark purple at 0, yellow at 1 (luminance rises with the value).</summary>
    public static IColormap Viridis { get; } = new ScottPlot.Colormaps.Viridis();

    /// <summary>The i-th categorical colour (repeating after 10).</summary>
    public static Color Categorical(int i) => Category10.GetColor(((i % 10) + 10) % 10);

    /// <summary>Colour of the i-th of k ordered series (i = 0 darkest), evenly spaced along viridis.</summary>
    public static Color Sequential(int i, int k)
    {
        if (k <= 0 || i < 0 || i >= k) throw new ArgumentOutOfRangeException(nameof(i), $"need 0 <= i < k, got i={i}, k={k}");
        return Viridis.GetColor(k == 1 ? 0 : SeriesTop * i / (k - 1));
    }

    /// <summary>A colour mixed with white: t = 0 is the colour, 1 is white (light dots behind a line of the same hue).</summary>
    public static Color Lighter(Color c, double t) => c.MixedWith(Colors.White, t);

    /// <summary>
    /// A new plot in our fonts, sizes and grid. ScottPlot gives each new label the font named by its global
    /// <c>Fonts.Default</c>, so this sets that to <see cref="Font"/> first (ScottPlot uses the system's default font when
    /// it is not installed).
    /// </summary>
    internal static Plot NewPlot()
    {
        Fonts.Default = Font;
        var plot = new Plot();
        plot.Axes.Title.Label.FontSize = TitleSize;
        plot.Axes.Title.Label.Bold = true;
        plot.Axes.Title.Label.ForeColor = Ink;
        foreach (IAxis axis in plot.Axes.GetAxes())
        {
            axis.Label.FontSize = LabelSize;
            axis.Label.Bold = false;
            axis.Label.ForeColor = Ink;
            axis.TickLabelStyle.FontSize = TickSize;
            axis.TickLabelStyle.ForeColor = Ink;
            axis.FrameLineStyle.Color = Grey;
            axis.MajorTickStyle.Color = Grey;
            axis.MinorTickStyle.Color = Grey;
        }
        if (plot.Axes.Left.TickGenerator is ScottPlot.TickGenerators.NumericAutomatic y) y.TickDensity = 0.5; // labels at least two heights apart
        plot.Grid.MajorLineColor = GridLine;
        plot.Axes.Margins(0.08, 0.1); // 4 % and 5 % of the data range on each side
        plot.Legend.FontSize = LegendSize;
        plot.Legend.ShadowColor = Colors.Transparent;
        plot.Legend.OutlineColor = GridLine.MixedWith(Grey, 0.3);
        plot.Legend.IsVisible = false;
        return plot;
    }
}
