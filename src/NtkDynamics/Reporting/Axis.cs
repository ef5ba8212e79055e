namespace NtkDynamics.Reporting;

/// <summary>How data values map to positions along an axis.</summary>
public enum Scale
{
    Linear,
    /// <summary>log10: decade ticks; values &lt;= 0 cannot be drawn and are dropped (the panel notes how many).</summary>
    Log,
}

/// <summary>One axis of a laid-out panel: data limits [Min, Max] mapped onto pixels [P0, P1] (P0 at Min).</summary>
internal sealed record Axis(Scale Scale, double Min, double Max, double P0, double P1)
{
    public double ToPixel(double v)
    {
        double t = Scale == Scale.Log
            ? (Math.Log10(v) - Math.Log10(Min)) / (Math.Log10(Max) - Math.Log10(Min))
            : (v - Min) / (Max - Min);
        return P0 + t * (P1 - P0);
    }

    /// <summary>Whether v can be drawn on this scale at all (finite, and positive on a log axis).</summary>
    public static bool Drawable(Scale scale, double v) => double.IsFinite(v) && (scale == Scale.Linear || v > 0);

    /// <summary>
    /// Limits that hold every drawable value, widened by padFraction of the span on each side (in log10 units on a
    /// log axis), then overridden by the caller's fixed ends. A single value or no value still gives a sound range.
    /// </summary>
    public static (double Min, double Max) Limits(IEnumerable<double> values, Scale scale, double padFraction, double? fixedMin, double? fixedMax)
    {
        bool log = scale == Scale.Log;
        double lo = double.PositiveInfinity, hi = double.NegativeInfinity;
        foreach (double v in values)
            if (Drawable(scale, v)) { double u = log ? Math.Log10(v) : v; lo = Math.Min(lo, u); hi = Math.Max(hi, u); }
        if (lo > hi) (lo, hi) = (0, 1);
        if (hi - lo <= Math.Abs(hi) * 1e-12)
        {
            double d = log ? 0.5 : lo == 0 ? 1 : Math.Abs(lo) * 0.1;
            (lo, hi) = (lo - d, hi + d);
        }
        double pad = (hi - lo) * padFraction;
        (lo, hi) = (lo - pad, hi + pad);
        if (log) (lo, hi) = (Math.Pow(10, lo), Math.Pow(10, hi));
        if (fixedMin is double a && Drawable(scale, a)) lo = a;
        if (fixedMax is double b && Drawable(scale, b)) hi = b;
        if (!(hi > lo)) throw new ArgumentException($"axis limits [{lo}, {hi}] are empty: the fixed minimum must be below the maximum");
        return (lo, hi);
    }
}
