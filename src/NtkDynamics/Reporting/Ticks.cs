using System.Globalization;

namespace NtkDynamics.Reporting;

/// <summary>Tick positions with their labels, and unlabelled minor ticks (log axes).</summary>
internal sealed record TickSet(IReadOnlyList<double> Major, IReadOnlyList<string> Labels, IReadOnlyList<double> Minor);

/// <summary>Nice ticks: 1-2-5 steps on linear axes, decades (or 1-2-5 multiples when the range is short) on log axes.</summary>
internal static class Ticks
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private const string Superscripts = "⁰¹²³⁴⁵⁶⁷⁸⁹";

    public static TickSet For(Scale scale, double lo, double hi, int target) =>
        scale == Scale.Log ? Log(lo, hi, target) : Linear(lo, hi, target);

    /// <summary>The 1-2-5 step closest to span/target.</summary>
    public static double NiceStep(double span, int target)
    {
        double raw = span / Math.Max(1, target);
        double mag = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double n = raw / mag;
        return (n < 1.5 ? 1 : n < 3 ? 2 : n < 7 ? 5 : 10) * mag;
    }

    public static TickSet Linear(double lo, double hi, int target)
    {
        double step = NiceStep(hi - lo, target);
        int decimals = Math.Clamp(-(int)Math.Floor(Math.Log10(step)), 0, 15);
        var major = new List<double>();
        for (long k = (long)Math.Ceiling(lo / step - 1e-9); k <= (long)Math.Floor(hi / step + 1e-9); k++)
            major.Add(Math.Round(k * step, decimals));
        return new TickSet(major, LinearLabels(major, step), []);
    }

    public static TickSet Log(double lo, double hi, int target)
    {
        double a = Math.Log10(lo), b = Math.Log10(hi);
        int k0 = (int)Math.Ceiling(a - 1e-9), k1 = (int)Math.Floor(b + 1e-9);
        int decades = k1 - k0 + 1;
        // Two decade ticks alone read poorly: use 1-2-5 multiples when there are few enough of them.
        if (decades == 2 && Multiples(lo, hi, k0, k1, [1, 2, 5]) is { Count: >= 3 } few && few.Count <= target + 1)
            return new TickSet(few, few.Select(Format).ToList(), []);
        if (decades >= 2)
        {
            int stride = Math.Max(1, (int)Math.Ceiling(decades / (double)Math.Max(1, target)));
            var major = new List<double>();
            var minor = new List<double>();
            for (int k = k0; k <= k1; k++)
                (k % stride == 0 ? major : minor).Add(Math.Pow(10, k));
            if (stride == 1)
                for (int k = k0 - 1; k <= k1; k++)
                    for (int m = 2; m <= 9; m++)
                        if (m * Math.Pow(10, k) is double v && v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) minor.Add(v);
            bool plain = major.All(v => v >= 1e-3 && v <= 1e4);
            return new TickSet(major, major.Select(v => plain ? Format(v) : "10" + Superscript((int)Math.Round(Math.Log10(v)))).ToList(), minor);
        }
        // Less than about a decade: 1-2-5 multiples, or every integer multiple, or plain linear ticks.
        foreach (int[] mantissas in new[] { new[] { 1, 2, 5 }, new[] { 1, 2, 3, 4, 5, 6, 7, 8, 9 } })
            if (Multiples(lo, hi, k0, k1, mantissas) is { Count: >= 3 } major) return new TickSet(major, major.Select(Format).ToList(), []);
        return Linear(lo, hi, target);
    }

    /// <summary>Every m·10ᵏ (m from mantissas, k from k0 - 1 to k1) inside [lo, hi], ascending.</summary>
    private static List<double> Multiples(double lo, double hi, int k0, int k1, int[] mantissas)
    {
        var values = new List<double>();
        for (int k = k0 - 1; k <= k1; k++)
            foreach (int m in mantissas)
                if (m * Math.Pow(10, k) is double v && v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) values.Add(v);
        return values;
    }

    /// <summary>A compact label for any value: plain decimals for ordinary magnitudes, m×10ᵏ otherwise.</summary>
    public static string Format(double v)
    {
        if (v == 0) return "0";
        double abs = Math.Abs(v);
        if (abs >= 1e-3 && abs < 1e5) return Minus(Math.Round(v, 10).ToString("0.######", Inv));
        int e = (int)Math.Floor(Math.Log10(abs));
        return Scientific(v, e, 2);
    }

    private static List<string> LinearLabels(List<double> ticks, double step)
    {
        double maxAbs = ticks.Count == 0 ? 0 : ticks.Max(Math.Abs);
        int e = maxAbs > 0 ? (int)Math.Floor(Math.Log10(maxAbs)) : 0;
        int stepExp = (int)Math.Floor(Math.Log10(step) + 1e-9);
        if (e >= 5 || e <= -4)
            return ticks.Select(v => v == 0 ? "0" : Scientific(v, e, Math.Max(0, e - stepExp))).ToList();
        int decimals = Math.Max(0, -stepExp);
        return ticks.Select(v => Minus(v.ToString("F" + decimals, Inv))).ToList();
    }

    private static string Scientific(double v, int e, int decimals)
    {
        double m = v / Math.Pow(10, e);
        string mantissa = Math.Round(m, decimals).ToString("0." + new string('#', Math.Max(1, decimals)), Inv);
        return Minus(mantissa == "1" ? "10" + Superscript(e) : mantissa == "-1" ? "-10" + Superscript(e) : mantissa + "×10" + Superscript(e));
    }

    private static string Superscript(int e) =>
        string.Concat(e.ToString(Inv).Select(c => c == '-' ? '⁻' : Superscripts[c - '0']));

    /// <summary>Typographic minus sign.</summary>
    private static string Minus(string s) => s.Replace('-', '−');
}
