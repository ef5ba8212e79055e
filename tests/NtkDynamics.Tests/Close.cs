namespace NtkDynamics.Tests;

/// <summary>
/// Floating-point comparisons with tolerances from error bounds, the one place tests get them. A sum of K products
/// computed in floating point, in any order, is within γ_K·Σ|terms| of the exact sum (Higham, "Accuracy and Stability
/// of Numerical Algorithms", §3.1), γ_K = K·u/(1 - K·u) with u the unit roundoff; two evaluations in different orders
/// (another BLAS kernel, another chunking, another thread count) are within twice that of each other. Nothing here
/// depends on how many decimal digits a number happens to print with.
/// </summary>
public static class Close
{
    /// <summary>Unit roundoff of float32 (2^-24) and float64 (2^-53).</summary>
    public const double U32 = 1.0 / (1 << 24), U64 = 1.0 / (1L << 53);

    /// <summary>γ_K = K·u/(1 - K·u).</summary>
    public static double Gamma(int terms, double u = U32) => terms * u / (1 - terms * u);

    /// <summary>Bound on |a - b| for two evaluations of one sum of <paramref name="terms"/> products whose absolute
    /// values add up to <paramref name="sumAbs"/>: 2·γ_{K+1}·Σ|terms| (the +1 covers rounding each product, or a scale).</summary>
    public static double SumBound(int terms, double sumAbs, double u = U32) => 2 * Gamma(terms + 1, u) * sumAbs;

    /// <summary>Asserts two evaluations of a sum of <paramref name="terms"/> products agree to <see cref="SumBound"/>.</summary>
    public static void Sum(double expected, double actual, int terms, double sumAbs, string what = "", double u = U32)
    {
        double bound = SumBound(terms, sumAbs, u);
        Assert.True(Math.Abs(expected - actual) <= bound,
            $"{what}: {actual:R} differs from {expected:R} by {Math.Abs(expected - actual):E3}, more than the bound {bound:E3} for {terms} terms of Σ|x| = {sumAbs:E3}");
    }

    /// <summary>Asserts |a - b| &lt;= rel·max(|a|, |b|) + abs: for results whose error bound is known only relatively
    /// (a whole algorithm, not one sum); say where <paramref name="rel"/> comes from at the call.</summary>
    public static void Relative(double expected, double actual, double rel, double abs = 0, string what = "")
    {
        double bound = rel * Math.Max(Math.Abs(expected), Math.Abs(actual)) + abs;
        Assert.True(Math.Abs(expected - actual) <= bound || expected.Equals(actual),
            $"{what}: {actual:R} differs from {expected:R} by {Math.Abs(expected - actual):E3}, more than {bound:E3} (rel {rel:E1}, abs {abs:E1})");
    }

    /// <summary>
    /// Asserts two evaluations of one value agree when each takes it in at most <paramref name="roundings"/> rounded
    /// operations (each within u of its result: +, -, *, /, sqrt; count 2 for Math.Exp, Log, Pow, within an ulp; a
    /// decimal input counts 1) on intermediate values at most <paramref name="amplification"/> times the result (the
    /// cancellation of the worst difference). To first order each side is within roundings·amplification·u of the exact
    /// value, relative, so the two are within twice that of each other.
    /// </summary>
    public static void Roundings(double expected, double actual, int roundings, double amplification = 1, string what = "", double u = U64) =>
        Relative(expected, actual, 2 * roundings * amplification * u, what: what);

    /// <summary>Asserts two float32 values are at most <paramref name="ulps"/> units in the last place apart.</summary>
    public static void Ulps(float expected, float actual, int ulps, string what = "")
    {
        long distance = Math.Abs(Ordered(expected) - Ordered(actual));
        Assert.True(distance <= ulps, $"{what}: {actual:R} is {distance} ulps from {expected:R}, more than {ulps}");
    }

    /// <summary>Asserts two float64 values are at most <paramref name="ulps"/> units in the last place apart.</summary>
    public static void Ulps(double expected, double actual, long ulps, string what = "")
    {
        Int128 distance = Int128.Abs((Int128)Ordered(expected) - Ordered(actual));
        Assert.True(distance <= ulps, $"{what}: {actual:R} is {distance} ulps from {expected:R}, more than {ulps}");
    }

    // Maps a float's bits onto integers in the order of the values, so adjacent floats differ by 1 (and -0 == +0).
    private static long Ordered(float x)
    {
        int b = BitConverter.SingleToInt32Bits(x);
        return b < 0 ? int.MinValue - (long)b : b;
    }

    private static long Ordered(double x)
    {
        long b = BitConverter.DoubleToInt64Bits(x);
        return b < 0 ? long.MinValue - b : b;
    }
}
