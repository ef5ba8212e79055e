namespace NtkDynamics.Ntk.Metrics;

/// <summary>
/// The kernels every metric here takes: float64, row-major n x n in a double[] (or span) of n*n values, symmetric up to
/// rounding (metrics use (K + Kᵀ)/2). Checks, symmetrisation and the trace.
/// </summary>
public static class Kernels
{
    /// <summary>
    /// Returns n for a square, finite, non-empty kernel of n*n values; otherwise throws a one-line
    /// <see cref="InputException"/> naming <paramref name="source"/> (a file, or which argument) and the problem.
    /// </summary>
    public static int Validate(ReadOnlySpan<double> kernel, string source)
    {
        int n = (int)Math.Round(Math.Sqrt(kernel.Length));
        if (kernel.Length == 0 || (long)n * n != kernel.Length)
            throw new InputException($"{source}: expected a square n x n kernel, got {kernel.Length} values");
        for (int i = 0; i < kernel.Length; i++)
            if (!double.IsFinite(kernel[i]))
                throw new InputException($"{source}: kernel element [{i / n}, {i % n}] is {kernel[i]} (not finite)");
        return n;
    }

    /// <summary>(K + Kᵀ)/2 as a new array, after <see cref="Validate"/>: kernels computed in float32 are symmetric only to rounding.</summary>
    // kernel is (n, n)
    public static double[] Symmetrised(ReadOnlySpan<double> kernel, string source)
    {
        int n = Validate(kernel, source);
        var s = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                s[i * n + j] = 0.5 * (kernel[i * n + j] + kernel[j * n + i]);
        return s;
    }

    /// <summary>The trace Σ K_ii of a row-major n x n kernel.</summary>
    public static double Trace(ReadOnlySpan<double> kernel)
    {
        int n = Validate(kernel, "trace: kernel");
        double t = 0;
        for (int i = 0; i < n; i++) t += kernel[i * n + i];
        return t;
    }
}
