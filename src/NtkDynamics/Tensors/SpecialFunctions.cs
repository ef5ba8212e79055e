namespace NtkDynamics.Tensors;

/// <summary>Functions .NET's Math lacks, in double precision (a relative error of a few 1e-15): erf and log(1 + x).</summary>
public static class SpecialFunctions
{
    private static readonly double TwoOverSqrtPi = 2 / Math.Sqrt(Math.PI);

    /// <summary>The error function erf(x) = 2/√π ∫_0^x e^{-t²} dt.</summary>
    public static double Erf(double x)
    {
        double a = Math.Abs(x);
        if (double.IsNaN(x)) return x;
        if (a < SeriesBelow) return Series(x);
        return a >= 6 ? Math.CopySign(1, x) : Math.CopySign(1 - Fraction(a), x); // erfc(6) = 2e-17: 1 in double
    }

    // Below it the Taylor series needs fewer terms than the continued fraction (39 at 2.5; it cancels less than 2 digits).
    private const double SeriesBelow = 2.5;

    // erf(x) = 2/√π Σ_n (-1)^n x^(2n+1) / (n! (2n+1)), |x| < 2.5
    private static double Series(double x)
    {
        double x2 = x * x, t = x, sum = x;
        for (int n = 1; n < 100; n++)
        {
            t *= -x2 / n;
            double term = t / (2 * n + 1);
            sum += term;
            if (Math.Abs(term) <= 1e-17 * Math.Abs(sum)) break;
        }
        return TwoOverSqrtPi * sum;
    }

    // erfc(x) = e^{-x²} / (√π (x + (1/2)/(x + 1/(x + (3/2)/(x + ...))))), x >= 2.5, by Lentz's method (45 terms at most).
    private static double Fraction(double x)
    {
        double f = x, c = x, d = 0;
        for (int n = 1; n < 200; n++)
        {
            double a = n / 2.0;
            d = 1 / (x + a * d);
            c = x + a / c;
            double delta = c * d;
            f *= delta;
            if (Math.Abs(delta - 1) <= 1e-16) break;
        }
        return Math.Exp(-x * x) / (Math.Sqrt(Math.PI) * f);
    }

    /// <summary>log(1 + x), accurate for tiny x too (where 1 + x rounds): x itself, or log(u)·x/(u - 1) with u = 1 + x (Goldberg).</summary>
    public static double LogOnePlus(double x)
    {
        double u = 1 + x;
        return u == 1 ? x : Math.Log(u) * x / (u - 1);
    }
}
