namespace NtkDynamics.Theory;

/// <summary>The least-squares line log y = log c + slope · log x through points with x, y &gt; 0: y ≈ c x^slope.</summary>
/// <param name="Slope">The exponent (the slope on a log-log plot).</param>
/// <param name="Prefactor">c.</param>
public sealed record LogLogFit(double Slope, double Prefactor)
{
    /// <summary>Fits the points (xs[i], ys[i]); needs at least two distinct positive x and every y positive.</summary>
    public static LogLogFit Of(IReadOnlyList<double> xs, IReadOnlyList<double> ys)
    {
        if (xs.Count != ys.Count || xs.Count < 2) throw new ArgumentException($"a log-log fit needs at least two points, got {xs.Count} x and {ys.Count} y");
        if (xs.Concat(ys).Any(v => !(v > 0) || double.IsInfinity(v))) throw new ArgumentException("a log-log fit needs positive finite values");
        var u = xs.Select(v => Math.Log(v)).ToArray();
        var v = ys.Select(v => Math.Log(v)).ToArray();
        double mu = u.Average(), mv = v.Average(), suu = 0, suv = 0;
        for (int i = 0; i < u.Length; i++) { suu += (u[i] - mu) * (u[i] - mu); suv += (u[i] - mu) * (v[i] - mv); }
        if (suu == 0) throw new ArgumentException("a log-log fit needs at least two distinct x");
        double slope = suv / suu;
        return new LogLogFit(slope, Math.Exp(mv - slope * mu));
    }

    /// <summary>c x^slope.</summary>
    public double At(double x) => Prefactor * Math.Pow(x, Slope);
}
