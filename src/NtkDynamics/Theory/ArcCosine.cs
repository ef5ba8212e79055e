namespace NtkDynamics.Theory;

/// <summary>
/// Arc-cosine kernels of order 0 and 1 (Cho and Saul 2009) and the Gaussian ReLU expectations built from them.
/// For w ~ N(0, I): E[step(w·x) step(w·y)] = κ0(θ)/2 and E[relu(w·x) relu(w·y)] = |x||y| κ1(θ)/2, θ the angle
/// between x and y. ReLU's derivative at 0 is taken as 0 (as PyTorch does), so a zero vector gives 0 for both.
/// </summary>
public static class ArcCosine
{
    /// <summary>κ0(θ) = 1 - θ/π, θ in [0, π].</summary>
    public static double Kappa0(double theta) => 1 - theta / Math.PI;

    /// <summary>κ1(θ) = (sin θ + (π - θ) cos θ)/π, θ in [0, π].</summary>
    public static double Kappa1(double theta) => (Math.Sin(theta) + (Math.PI - theta) * Math.Cos(theta)) / Math.PI;

    /// <summary>The angle between two vectors from their Gram entries xx = x·x, yy = y·y, xy = x·y (clamped into [0, π]).</summary>
    public static double Angle(double xx, double yy, double xy) => Math.Acos(Math.Clamp(xy / Math.Sqrt(xx * yy), -1.0, 1.0));

    /// <summary>Order-0 arc-cosine kernel κ0(θ) from Gram entries; 0 when either vector is zero.</summary>
    public static double Order0(double xx, double yy, double xy) =>
        xx > 0 && yy > 0 ? Kappa0(Angle(xx, yy, xy)) : 0;

    /// <summary>Order-1 arc-cosine kernel |x||y| κ1(θ) from Gram entries; 0 when either vector is zero.</summary>
    public static double Order1(double xx, double yy, double xy) =>
        xx > 0 && yy > 0 ? Math.Sqrt(xx * yy) * Kappa1(Angle(xx, yy, xy)) : 0;

    /// <summary>
    /// For (u, v) ~ N(0, [[q1, s], [s, q2]]): Value = E[relu(u) relu(v)] and Derivative = E[relu'(u) relu'(v)].
    /// </summary>
    public static (double Value, double Derivative) Relu(double q1, double q2, double s)
    {
        if (!(q1 > 0 && q2 > 0)) return (0, 0);
        double theta = Angle(q1, q2, s);
        return (Math.Sqrt(q1 * q2) * Kappa1(theta) / 2, Kappa0(theta) / 2);
    }
}
