using System.Numerics.Tensors;

namespace NtkDynamics.Ntk.Metrics;

/// <summary>
/// Hilbert-Schmidt independence criterion between two n x n kernels (row-major, symmetrised first), and the
/// centred kernel alignment (CKA) built from it.
/// </summary>
public static class Hsic
{
    /// <summary>Biased HSIC (Gretton et al. 2005): tr(K H L H) / (n-1)², H = I - 11ᵀ/n.</summary>
    public static double Biased(ReadOnlySpan<double> k, ReadOnlySpan<double> l)
    {
        var (ck, cl) = (Centred(k, "HSIC: first kernel"), Centred(l, "HSIC: second kernel"));
        CheckSameSize(ck, cl, "HSIC");
        int n = (int)Math.Sqrt(ck.Length);
        return Dot(ck, cl) / ((double)(n - 1) * (n - 1));
    }

    /// <summary>
    /// Unbiased HSIC (Song et al. 2012, eq. 5), with K̃, L̃ the kernels with zeroed diagonals (needs n ≥ 4):
    /// [tr(K̃L̃) + (1ᵀK̃1)(1ᵀL̃1)/((n-1)(n-2)) - 2/(n-2) 1ᵀK̃L̃1] / (n(n-3)). It can be slightly negative.
    /// </summary>
    // k, l are (n, n)
    public static double Unbiased(ReadOnlySpan<double> k, ReadOnlySpan<double> l)
    {
        double[] a = Kernels.Symmetrised(k, "unbiased HSIC: first kernel"), b = Kernels.Symmetrised(l, "unbiased HSIC: second kernel");
        CheckSameSize(a, b, "unbiased HSIC");
        int n = (int)Math.Sqrt(a.Length);
        if (n < 4) throw new InputException($"unbiased HSIC: needs at least 4 samples, the kernels are {n} x {n}");
        double trace = 0, sumA = 0, sumB = 0, rowProducts = 0;
        for (int i = 0; i < n; i++)
        {
            double rowA = 0, rowB = 0;
            for (int j = 0; j < n; j++)
            {
                if (i == j) continue;
                double x = a[i * n + j], y = b[i * n + j];
                trace += x * y;
                rowA += x;
                rowB += y;
            }
            sumA += rowA;
            sumB += rowB;
            rowProducts += rowA * rowB;
        }
        return (trace + sumA * sumB / ((n - 1.0) * (n - 2.0)) - 2.0 / (n - 2.0) * rowProducts) / (n * (n - 3.0));
    }

    /// <summary>
    /// Centred kernel alignment with the biased HSIC: ⟨HKH, HLH⟩_F / (‖HKH‖_F ‖HLH‖_F) (Kornblith et al. 2019), as
    /// entk.py's cka. 1 for K = L, invariant to scaling either kernel and to adding a constant; NaN if a centred kernel is zero.
    /// </summary>
    public static double Cka(ReadOnlySpan<double> k, ReadOnlySpan<double> l)
    {
        var (ck, cl) = (Centred(k, "CKA: first kernel"), Centred(l, "CKA: second kernel"));
        CheckSameSize(ck, cl, "CKA");
        return Dot(ck, cl) / Math.Sqrt(Dot(ck, ck) * Dot(cl, cl));
    }

    /// <summary>CKA with the unbiased HSIC: HSIC₁(K, L) / √(HSIC₁(K, K) HSIC₁(L, L)) (needs n ≥ 4; NaN if a denominator term is ≤ 0).</summary>
    public static double CkaUnbiased(ReadOnlySpan<double> k, ReadOnlySpan<double> l) =>
        Unbiased(k, l) / Math.Sqrt(Unbiased(k, k) * Unbiased(l, l));

    /// <summary>HKH for H = I - 11ᵀ/n, of the symmetrised kernel: K_ij - mean_i - mean_j + mean.</summary>
    // k is (n, n)
    public static double[] Centred(ReadOnlySpan<double> kernel, string source = "kernel")
    {
        double[] c = Kernels.Symmetrised(kernel, source);
        int n = (int)Math.Sqrt(c.Length);
        var rowMean = new double[n];
        for (int i = 0; i < n; i++)
            rowMean[i] = TensorPrimitives.Sum<double>(c.AsSpan(i * n, n)) / n;
        double mean = rowMean.Sum() / n;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                c[i * n + j] += mean - rowMean[i] - rowMean[j];
        return c;
    }

    /// <summary>The Frobenius inner product Σ a_ij b_ij.</summary>
    internal static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b) => TensorPrimitives.Dot(a, b);

    internal static void CheckSameSize(ReadOnlySpan<double> a, ReadOnlySpan<double> b, string what)
    {
        if (a.Length != b.Length)
            throw new InputException($"{what}: the kernels differ in size ({Math.Sqrt(a.Length)} x {Math.Sqrt(a.Length)} and {Math.Sqrt(b.Length)} x {Math.Sqrt(b.Length)})");
    }
}
