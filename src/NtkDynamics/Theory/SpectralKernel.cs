using NtkDynamics.Tensors;

namespace NtkDynamics.Theory;

/// <summary>
/// The eigendecomposition Θ = Σ_r λ_r v_r v_rᵀ of a symmetric (n, n) kernel, done once (Blas.SymmetricEigen);
/// functions of Θ (inverse, exponential, powers) are applied through it.
/// </summary>
public sealed class SpectralKernel
{
    private const double MachineEpsilon = 2.220446049250313e-16;   // 2^-52

    public int N { get; }

    /// <summary>λ_r, ascending.</summary>
    public double[] Values { get; }

    /// <summary>(n, n) row-major: row r is the unit eigenvector v_r of λ_r.</summary>
    public double[] Vectors { get; }

    /// <summary>n · ε · max |λ|: eigenvalues of at most this size are numerically zero (the pseudo-inverse drops them).</summary>
    public double Cutoff { get; }

    /// <summary>Decomposes <paramref name="kernel"/> (n, n), which must be symmetric to 1e-10 of its largest entry.</summary>
    public SpectralKernel(double[] kernel, int n)
    {
        if (n <= 0 || kernel.Length != n * n) throw new ArgumentException($"expected an {n}x{n} kernel, got {kernel.Length} values");
        double largest = 0, asymmetry = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                largest = Math.Max(largest, Math.Abs(kernel[i * n + j]));
                asymmetry = Math.Max(asymmetry, Math.Abs(kernel[i * n + j] - kernel[j * n + i]));
            }
        if (!(asymmetry <= 1e-10 * largest)) throw new ArgumentException($"the kernel is not symmetric (max |K - Kᵀ| = {asymmetry:g3}, max |K| = {largest:g3})");
        var (values, vectors) = Blas.SymmetricEigen(kernel, n, vectors: true);
        N = n; Values = values; Vectors = vectors!;
        Cutoff = n * MachineEpsilon * Math.Max(Math.Abs(values[0]), Math.Abs(values[n - 1]));
    }

    /// <summary>True when |λ_r| is at most <see cref="Cutoff"/>.</summary>
    public bool IsNull(int r) => Math.Abs(Values[r]) <= Cutoff;

    /// <summary>Coordinates in the eigenbasis: b is (n, k); returns (n, k) with row r = v_rᵀ b.</summary>
    public double[] Project(double[] b, int k)
    {
        CheckColumns(b, k, nameof(b));
        var p = new double[N * k];
        Blas.Gemm(false, false, N, k, N, 1.0, Vectors, N, b, k, 0.0, p, k);
        return p;
    }

    /// <summary>Back from eigen-coordinates: c is (n, k); returns Σ_r v_r c_r, (n, k).</summary>
    public double[] Expand(double[] c, int k)
    {
        CheckColumns(c, k, nameof(c));
        var b = new double[N * k];
        Blas.Gemm(true, false, N, k, N, 1.0, Vectors, N, c, k, 0.0, b, k);
        return b;
    }

    /// <summary>g(Θ) b = Σ_r v_r g(λ_r) v_rᵀ b for b (n, k), with <paramref name="g"/> given each mode's index r.</summary>
    public double[] Apply(Func<int, double> g, double[] b, int k)
    {
        var p = Project(b, k);
        for (int r = 0; r < N; r++)
        {
            double s = g(r);
            for (int c = 0; c < k; c++) p[r * k + c] *= s;
        }
        return Expand(p, k);
    }

    internal void CheckColumns(double[] b, int k, string name)
    {
        if (k <= 0 || b.Length != N * k) throw new ArgumentException($"{name}: expected {N}x{k} = {N * k} values, got {b.Length}");
    }
}
