namespace NtkDynamics.Ntk.Metrics;

/// <summary>How far a kernel moved: distances between two n x n kernels (row-major, symmetrised first), and velocity.</summary>
public static class KernelDistance
{
    /// <summary>The paper's kernel distance S(K, L) = 1 - CKA(K, L) (centred, biased HSIC; entk.py's kernel_distance).</summary>
    public static double Centred(ReadOnlySpan<double> k, ReadOnlySpan<double> l) => 1 - Hsic.Cka(k, l);

    /// <summary>Fort et al. (2020)'s uncentred kernel distance 1 - ⟨K, L⟩_F / (‖K‖_F ‖L‖_F).</summary>
    public static double Uncentred(ReadOnlySpan<double> k, ReadOnlySpan<double> l) => 1 - Alignment(k, l, "uncentred kernel distance");

    /// <summary>Kernel velocity v = S(K_t, K_{t+dt}) / dt, with S the centred distance and dt &gt; 0 (steps or epochs).</summary>
    public static double Velocity(ReadOnlySpan<double> before, ReadOnlySpan<double> after, double dt)
    {
        if (!(dt > 0) || double.IsInfinity(dt)) throw new InputException($"kernel velocity: dt must be a positive number, got {dt}");
        return Centred(before, after) / dt;
    }

    /// <summary>Uncentred alignment ⟨K, L⟩_F / (‖K‖_F ‖L‖_F) of the symmetrised kernels.</summary>
    internal static double Alignment(ReadOnlySpan<double> k, ReadOnlySpan<double> l, string what)
    {
        double[] a = Kernels.Symmetrised(k, $"{what}: first kernel"), b = Kernels.Symmetrised(l, $"{what}: second kernel");
        Hsic.CheckSameSize(a, b, what);
        return Hsic.Dot(a, b) / Math.Sqrt(Hsic.Dot(a, a) * Hsic.Dot(b, b));
    }
}
