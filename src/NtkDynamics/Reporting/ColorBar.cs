using static NtkDynamics.Reporting.Style;

namespace NtkDynamics.Reporting;

/// <summary>Draws a vertical colour bar right of a plot: low values (or the first level) at the bottom.</summary>
internal static class ColorBar
{
    private const double BarGap = 14, BarWidth = 12, MaxBlock = 24, Stripes = 64;

    /// <summary>Horizontal room the bar, its labels and its title need.</summary>
    public static double Width(ColorBarSpec s, double height) =>
        BarGap + BarWidth + TickLength + 2 + MaxWidth(Labels(s, height).Labels, TickFont) + (s.Label != null ? 8 + LabelFont : 0);

    public static void Draw(SvgWriter w, ColorBarSpec s, double x, double top, double height)
    {
        double x0 = x + BarGap, right = x0 + BarWidth;
        (double[] at, IReadOnlyList<string> labels) = Labels(s, height);
        double barHeight = height;
        w.Open("g", "class=\"colorbar\"");
        if (s.Levels is { } levels)
        {
            int k = levels.Count;
            double block = Math.Min(height / k, MaxBlock);
            barHeight = block * k;
            for (int i = 0; i < k; i++)
                w.Rect(x0, top + (k - 1 - i) * block, BarWidth, block, Colors.Sequential(i, k));
            at = [.. Enumerable.Range(0, k).Select(i => top + (k - 0.5 - i) * block)];
        }
        else
        {
            double h = height / Stripes;
            for (int i = 0; i < Stripes; i++)
                w.Rect(x0, top + height - (i + 1) * h, BarWidth, h + 0.4, Colors.Viridis((i + 0.5) / Stripes));
            at = [.. at.Select(v => top + height - (v - s.Min) / (s.Max - s.Min) * height)];
        }
        w.Rect(x0, top, BarWidth, barHeight, White, "fill-opacity=\"0\" stroke=\"#444444\" stroke-width=\"0.8\"");
        for (int i = 0; i < at.Length; i++)
        {
            w.Line(right, at[i], right + TickLength, at[i], Spine, 0.8);
            w.Text(right + TickLength + 2, at[i], labels[i], TickFont, Anchor.Start, Ink);
        }
        if (s.Label is string label)
            w.Text(right + TickLength + 2 + MaxWidth(labels, TickFont) + 8 + LabelFont / 2, top + barHeight / 2, label, LabelFont, Anchor.Middle, Ink, rotate: -90);
        w.Close("g");
    }

    /// <summary>Tick values (continuous bar; positions for levels are set when drawing) and their labels.</summary>
    private static (double[] Values, IReadOnlyList<string> Labels) Labels(ColorBarSpec s, double height)
    {
        if (s.Levels is { } levels) return ([], levels);
        TickSet t = Ticks.Linear(s.Min, s.Max, Math.Clamp((int)(height / 40), 2, 6));
        return ([.. t.Major], t.Labels);
    }
}
