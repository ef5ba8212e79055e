using System.Globalization;
using ScottPlot;

namespace NtkDynamics.Reporting;

/// <summary>
/// Ticks of a log axis. ScottPlot 5 has no log scale: a log panel plots log10 of its values (see
/// <see cref="PlotMarks.LogX"/>) and this generator labels that axis with the values themselves. ScottPlot's own recipe,
/// decade ticks from <c>NumericAutomatic</c>, leaves an axis spanning less than a decade with one label or none; here such an
/// axis gets 1-2-5 (or 1..9) multiples, and one spanning many decades every k-th decade.
/// </summary>
public sealed class LogTicks : ITickGenerator
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private const string Superscripts = "⁰¹²³⁴⁵⁶⁷⁸⁹";

    public Tick[] Ticks { get; private set; } = [];

    public int MaxTickCount { get; set; } = 1000;

    /// <summary>Label exactly these (positive) values instead of choosing ticks.</summary>
    public IReadOnlyList<double>? Fixed { get; init; }

    public void Regenerate(CoordinateRange range, Edge edge, PixelLength size, Paint paint, LabelStyle labelStyle)
    {
        int target = Math.Clamp((int)(size.Length / (edge.IsVertical() ? 45 : 70)), 2, 8);
        IEnumerable<Tick> ticks = Fixed is { } values
            ? values.Where(v => v > 0 && double.IsFinite(v)).Distinct().Order().Select(v => Tick.Major(Math.Log10(v), Label(v)))
            : For(Math.Min(range.Min, range.Max), Math.Max(range.Min, range.Max), target);
        Ticks = [.. ticks.Take(MaxTickCount)];
    }

    /// <summary>Ticks (positions in log10 units) for the log10 range [a, b] with about target labelled ones.</summary>
    public static IEnumerable<Tick> For(double a, double b, int target)
    {
        if (!(b > a) || !double.IsFinite(a) || !double.IsFinite(b)) return [];
        int k0 = (int)Math.Ceiling(a - 1e-9), k1 = (int)Math.Floor(b + 1e-9), decades = k1 - k0 + 1;
        List<double> few = Multiples(a, b, [1, 2, 5]);
        if (decades >= 3 || (decades == 2 && (few.Count < 3 || few.Count > target + 1)))
        {
            int stride = Math.Max(1, (int)Math.Ceiling(decades / (double)target));
            bool plain = k0 >= -3 && k1 <= 4;
            var ticks = new List<Tick>();
            for (int k = k0; k <= k1; k++)
                ticks.Add(k % stride == 0 ? Tick.Major(k, plain ? Label(Math.Pow(10, k)) : Decade(k)) : Tick.Minor(k));
            if (stride == 1) ticks.AddRange(Multiples(a, b, [2, 3, 4, 5, 6, 7, 8, 9]).Select(Tick.Minor));
            return ticks;
        }
        // two 1-2-5 labels read better than three crowded ones (0.09 next to 0.1); 1..9 multiples when fewer.
        foreach (List<double> major in new[] { few, Multiples(a, b, [1, 2, 3, 4, 5, 6, 7, 8, 9]) })
            if (major.Count >= (major == few ? 2 : 3)) return major.Select(p => Tick.Major(p, Label(Math.Pow(10, p))));
        return Linear(Math.Pow(10, a), Math.Pow(10, b), target);
    }

    /// <summary>A compact label: plain decimals for ordinary magnitudes, 10ᵏ or m×10ᵏ otherwise.</summary>
    public static string Label(double v)
    {
        double abs = Math.Abs(v);
        if (abs == 0 || (abs >= 1e-3 && abs < 1e5)) return Math.Round(v, 10).ToString("0.######", Inv).Replace('-', '−');
        int e = (int)Math.Floor(Math.Log10(abs) + 1e-9);
        string mantissa = Math.Round(v / Math.Pow(10, e), 2).ToString("0.##", Inv);
        return (mantissa == "1" ? "" : mantissa + "×") + Decade(e);
    }

    /// <summary>10ᵏ.</summary>
    private static string Decade(int k) => "10" + string.Concat(k.ToString(Inv).Select(c => c == '-' ? '⁻' : Superscripts[c - '0']));

    /// <summary>log10 of every m·10ᵏ (m from mantissas) inside the log10 range [a, b], ascending.</summary>
    private static List<double> Multiples(double a, double b, int[] mantissas)
    {
        var values = new List<double>();
        for (int k = (int)Math.Floor(a) - 1; k <= (int)Math.Ceiling(b); k++)
            foreach (int m in mantissas)
                if (Math.Log10(m) + k is double p && p >= a - 1e-9 && p <= b + 1e-9) values.Add(p);
        values.Sort();
        return values;
    }

    /// <summary>Evenly spaced nice values over [lo, hi] (a range too short for multiples of powers of ten), placed at their log10.</summary>
    private static IEnumerable<Tick> Linear(double lo, double hi, int target)
    {
        double raw = (hi - lo) / target, mag = Math.Pow(10, Math.Floor(Math.Log10(raw))), n = raw / mag;
        double step = (n < 1.5 ? 1 : n < 3 ? 2 : n < 7 ? 5 : 10) * mag;
        for (long i = (long)Math.Ceiling(lo / step); i * step <= hi * (1 + 1e-12); i++)
            yield return Tick.Major(Math.Log10(i * step), Label(i * step));
    }
}
