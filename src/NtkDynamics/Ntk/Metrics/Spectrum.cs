using NtkDynamics.Tensors;

namespace NtkDynamics.Ntk.Metrics;

/// <summary>
/// The eigenvalues of a symmetric kernel (of (K + Kᵀ)/2, by <see cref="Blas.SymmetricEigen"/>) and the summaries built
/// from them. Tiny negative eigenvalues of a PSD kernel (rounding) count as zero in the rank measures.
/// </summary>
public sealed class Spectrum
{
    /// <summary>All n eigenvalues, ascending.</summary>
    public double[] Ascending { get; }

    private Spectrum(double[] ascending) => Ascending = ascending;

    /// <summary>The spectrum of a row-major n x n kernel; a non-square or non-finite kernel is an <see cref="InputException"/>.</summary>
    public static Spectrum Of(ReadOnlySpan<double> kernel, string source = "kernel")
    {
        double[] k = Kernels.Symmetrised(kernel, source);
        return new Spectrum(Blas.SymmetricEigen(k, (int)Math.Sqrt(k.Length)).Values);
    }

    /// <summary>λmax, the largest eigenvalue.</summary>
    public double Max => Ascending[^1];

    /// <summary>λmin, the smallest eigenvalue.</summary>
    public double Min => Ascending[0];

    /// <summary>All eigenvalues, largest first.</summary>
    public double[] Descending() => Top(Ascending.Length);

    /// <summary>The <paramref name="k"/> largest eigenvalues, largest first (all of them if k exceeds n).</summary>
    public double[] Top(int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        var top = new double[Math.Min(k, Ascending.Length)];
        for (int i = 0; i < top.Length; i++) top[i] = Ascending[^(i + 1)];
        return top;
    }

    /// <summary>
    /// Effective rank (Roy and Vetterli 2007): exp of the Shannon entropy of p_i = λ_i⁺ / Σ λ⁺ (λ⁺ = max(λ, 0));
    /// between 1 and n, 0 for a zero kernel.
    /// </summary>
    public double EffectiveRank
    {
        get
        {
            double sum = Ascending.Sum(Positive);
            if (sum == 0) return 0;
            double entropy = 0;
            foreach (double l in Ascending)
                if (l > 0) entropy -= l / sum * Math.Log(l / sum);
            return Math.Exp(entropy);
        }
    }

    /// <summary>Participation ratio (Σλ⁺)² / Σ(λ⁺)², between 1 and n; 0 for a zero kernel.</summary>
    public double ParticipationRatio
    {
        get
        {
            double sum = Ascending.Sum(Positive), squares = Ascending.Sum(l => Positive(l) * Positive(l));
            return squares == 0 ? 0 : sum * sum / squares;
        }
    }

    /// <summary>Condition number λmax / λmin when λmin &gt; 0, else +∞ (a singular or indefinite kernel).</summary>
    public double ConditionNumber => Min > 0 ? Max / Min : double.PositiveInfinity;

    private static double Positive(double l) => Math.Max(l, 0);
}
