using NtkDynamics.Tensors;

namespace NtkDynamics.Theory;

/// <summary>Kernel (ridge) regression on a decomposed train kernel: f(x*) = Θ(x*, X) (Θ + ρI)^{-1} y.</summary>
public static class KernelRegression
{
    /// <summary>
    /// α = (Θ + ρI)^{-1} y for targets y (n, k); returns (n, k). With ρ = 0 the pseudo-inverse: modes with
    /// |λ| at most <see cref="SpectralKernel.Cutoff"/> are dropped.
    /// </summary>
    public static double[] Coefficients(SpectralKernel train, double[] y, int k, double ridge = 0)
    {
        if (!(ridge >= 0)) throw new ArgumentOutOfRangeException(nameof(ridge), ridge, "must be 0 or positive");
        return train.Apply(r => ridge == 0 && train.IsNull(r) ? 0 : 1 / (train.Values[r] + ridge), y, k);
    }

    /// <summary>Predictions Θ(x*, X) α for <paramref name="cross"/> = Θ(x*, X), (m, n); returns (m, k).</summary>
    public static double[] Predict(SpectralKernel train, double[] cross, int m, double[] y, int k, double ridge = 0) =>
        Multiply(cross, m, train.N, Coefficients(train, y, k, ridge), k);

    // a is (m, n), b is (n, k); returns a b, (m, k).
    internal static double[] Multiply(double[] a, int m, int n, double[] b, int k)
    {
        if (a.Length != m * n) throw new ArgumentException($"expected an {m}x{n} cross-kernel, got {a.Length} values");
        var c = new double[m * k];
        Blas.Gemm(false, false, m, k, n, 1.0, a, n, b, k, 0.0, c, k);
        return c;
    }
}
