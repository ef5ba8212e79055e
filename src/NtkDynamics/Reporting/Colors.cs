namespace NtkDynamics.Reporting;

/// <summary>
/// The two palettes figures use: a sequential scale (viridis) that reads in order from dark purple to
/// yellow, for series that have an order (width 16, 64, 256, ...) and for heatmaps; and a categorical
/// palette (Tableau 10) for unordered series.
/// </summary>
public static class Colors
{
    // viridis at t = 0, 0.1, ..., 1 (matplotlib's table sampled at 11 points); linear in between.
    private static readonly Rgb[] ViridisStops =
    [
        Rgb.Parse("#440154"), Rgb.Parse("#482576"), Rgb.Parse("#414487"), Rgb.Parse("#35608d"),
        Rgb.Parse("#2a788e"), Rgb.Parse("#21908c"), Rgb.Parse("#22a884"), Rgb.Parse("#43bf71"),
        Rgb.Parse("#7ad151"), Rgb.Parse("#bbdf27"), Rgb.Parse("#fde725"),
    ];

    private static readonly Rgb[] Tableau =
    [
        Rgb.Parse("#1f77b4"), Rgb.Parse("#ff7f0e"), Rgb.Parse("#2ca02c"), Rgb.Parse("#d62728"), Rgb.Parse("#9467bd"),
        Rgb.Parse("#8c564b"), Rgb.Parse("#e377c2"), Rgb.Parse("#7f7f7f"), Rgb.Parse("#bcbd22"), Rgb.Parse("#17becf"),
    ];

    /// <summary>The lightest end used for lines: the last tenth of viridis is too pale on white.</summary>
    private const double SeriesTop = 0.88;

    /// <summary>Neutral grey for reference lines, notes and missing cells.</summary>
    public static Rgb Grey { get; } = Rgb.Parse("#777777");

    /// <summary>Viridis at t in [0, 1] (clamped): dark purple at 0, yellow at 1; luminance increases with t.</summary>
    public static Rgb Viridis(double t)
    {
        t = double.IsNaN(t) ? 0 : Math.Clamp(t, 0, 1);
        double u = t * (ViridisStops.Length - 1);
        int i = Math.Min((int)u, ViridisStops.Length - 2);
        return Rgb.Mix(ViridisStops[i], ViridisStops[i + 1], u - i);
    }

    /// <summary>Colour of the i-th of k ordered series (i = 0 darkest), evenly spaced along viridis.</summary>
    public static Rgb Sequential(int i, int k)
    {
        if (k <= 0 || i < 0 || i >= k) throw new ArgumentOutOfRangeException(nameof(i), $"need 0 <= i < k, got i={i}, k={k}");
        return Viridis(k == 1 ? 0 : SeriesTop * i / (k - 1));
    }

    /// <summary>The i-th categorical colour (Tableau 10, repeating after 10).</summary>
    public static Rgb Categorical(int i) => Tableau[((i % Tableau.Length) + Tableau.Length) % Tableau.Length];
}
