using NtkDynamics.Tensors;

namespace NtkDynamics.Tests;

/// <summary>
/// Our symmetric eigensolver against known spectra, against LAPACK (dsyevd through OpenBLAS), and against itself for
/// bit-identical results. Both solvers are backward stable: each returns the exact spectrum of A + E with
/// ‖E‖₂ ≤ p(n)·u·‖A‖₂, p(n) a modest multiple of n (Golub and Van Loan §8.3), so by Weyl's inequality every eigenvalue
/// of one is within 2·p(n)·u·‖A‖₂ of the other's; we take p(n) = 4n and ‖A‖_F ≥ ‖A‖₂.
/// </summary>
public class SymmetricEigenTests
{
    private static double[] RandomSymmetric(int n, ulong seed)
    {
        var x = new float[n * n];
        new Rng(seed).FillNormal(x, 1);
        var s = new double[n * n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) s[i * n + j] = x[i * n + j] + x[j * n + i];
        return s;
    }

    // G Gᵀ of a random n x r G: positive semi-definite of rank r, like an eNTK of r parameters (n - r zero eigenvalues).
    private static double[] Gram(int n, int r, ulong seed)
    {
        var g = new float[n * r];
        new Rng(seed).FillNormal(g, 1);
        var k = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < r; p++) s += (double)g[i * r + p] * g[j * r + p];
                k[i * n + j] = s;
            }
        return k;
    }

    private static double Frobenius(double[] a) => Math.Sqrt(a.Sum(x => x * x));

    private static double Bound(int n, double[] a) => 4.0 * n * Close.U64 * Frobenius(a);

    public static IEnumerable<object[]> Matrices()
    {
        foreach (int n in new[] { 1, 2, 3, 4, 5, 7, 32, 100, 320 })
        {
            yield return ["random", n];
            yield return ["gram", n];
        }
        yield return ["repeated", 40];
        yield return ["diagonal", 9];
    }

    private static double[] Make(string kind, int n) => kind switch
    {
        "random" => RandomSymmetric(n, (ulong)n),
        "gram" => Gram(n, Math.Max(1, n / 3), (ulong)n + 100),
        // Eigenvalues 1 and 2 each of multiplicity 20, in a random basis: Q diag Qᵀ with Q from a Gram's eigenvectors.
        "repeated" => Repeated(n),
        "diagonal" => Enumerable.Range(0, n * n).Select(i => i % (n + 1) == 0 ? (double)(5 - i / (n + 1)) : 0).ToArray(),
        _ => throw new ArgumentException(kind),
    };

    private static double[] Repeated(int n)
    {
        var q = SymmetricEigen.Compute(RandomSymmetric(n, 77), n, vectors: true).Vectors!;
        var a = new double[n * n];
        for (int r = 0; r < n; r++)
        {
            double l = r < n / 2 ? 1 : 2;
            for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) a[i * n + j] += l * q[r * n + i] * q[r * n + j];
        }
        return a;
    }

    [Theory]
    [MemberData(nameof(Matrices))]
    public void EigenpairsSatisfyAvEqualsLambdaVWithOrthonormalVectors(string kind, int n)
    {
        var a = Make(kind, n);
        var (w, v) = SymmetricEigen.Compute(a, n, vectors: true);
        double bound = Bound(n, a);
        Assert.True(w.Zip(w.Skip(1)).All(p => p.First <= p.Second), "ascending");
        for (int r = 0; r < n; r++)
        {
            // ‖A v - λ v‖ ≤ ‖E‖ for a backward-stable pair; vᵀv = 1 and viᵀvj = 0 to p(n)·u.
            double residual = 0;
            for (int i = 0; i < n; i++)
            {
                double av = 0;
                for (int j = 0; j < n; j++) av += a[i * n + j] * v![r * n + j];
                residual += (av - w[r] * v![r * n + i]) * (av - w[r] * v[r * n + i]);
            }
            Assert.True(Math.Sqrt(residual) <= bound, $"{kind} {n}: residual of pair {r} is {Math.Sqrt(residual):E3} > {bound:E3}");
            for (int s = r; s < n; s++)
            {
                double dot = 0;
                for (int i = 0; i < n; i++) dot += v![r * n + i] * v[s * n + i];
                Close.Relative(r == s ? 1 : 0, dot, 0, 4.0 * n * Close.U64, $"{kind} {n}: v{r}·v{s}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Matrices))]
    public unsafe void EigenvaluesAgreeWithLapackWithinTheBackwardErrorBound(string kind, int n)
    {
        if (OpenBlas.TryLoad() is not { } lapack) return; // no OpenBLAS: nothing to compare against (the managed-backend run)
        var a = Make(kind, n);
        var ours = SymmetricEigen.Compute(a, n).Values;
        var theirs = new double[n];
        var copy = (double[])a.Clone();
        fixed (double* pa = copy) fixed (double* pw = theirs) lapack.LapackEigen(pa, n, pw, false);
        double bound = 2 * Bound(n, a);
        for (int i = 0; i < n; i++)
            Assert.True(Math.Abs(ours[i] - theirs[i]) <= bound, $"{kind} {n}: λ{i} {ours[i]:R} vs LAPACK {theirs[i]:R}, more than {bound:E3} apart");
    }

    [Fact]
    public void KnownSpectra()
    {
        // [[2,1],[1,2]]: 1 and 3 with vectors ±(1,-1)/√2 and ±(1,1)/√2; a diagonal gives its sorted diagonal exactly.
        var (w, v) = SymmetricEigen.Compute([2, 1, 1, 2], 2, vectors: true);
        Close.Ulps(1.0, w[0], 4, "λ0");
        Close.Ulps(3.0, w[1], 4, "λ1");
        Close.Ulps(1 / Math.Sqrt(2), Math.Abs(v![0]), 4, "v0");
        Close.Ulps(-v[0], v[1], 0, "v0 antisymmetric");
        Close.Ulps(v[2], v[3], 0, "v1 symmetric");
        Assert.Equal(new double[] { -3, -2, -1, 0, 1, 2, 3, 4, 5 }, SymmetricEigen.Compute(Make("diagonal", 9), 9).Values);
        Assert.Empty(SymmetricEigen.Compute([], 0).Values);
        Assert.Throws<ArgumentException>(() => SymmetricEigen.Compute([1, 2, 3], 2));
    }

    // The same input gives the same bits whatever the memory alignment, the thread it runs on or how busy the others are.
    [Fact]
    public void BitIdenticalAcrossAlignmentsThreadsAndRepeats()
    {
        const int n = 320;
        var a = Gram(n, 120, 5);
        var (w0, v0) = SymmetricEigen.Compute(a, n, vectors: true);
        var results = new (double[] W, double[] V)[8];
        Parallel.For(0, results.Length, t =>
        {
            var shifted = new double[n * n + t];
            a.CopyTo(shifted, t);
            var (w, v) = SymmetricEigen.Compute(shifted.AsSpan(t), n, vectors: true);
            results[t] = (w, v!);
        });
        foreach (var (w, v) in results)
        {
            Assert.Equal(w0.Select(BitConverter.DoubleToInt64Bits), w.Select(BitConverter.DoubleToInt64Bits));
            Assert.Equal(v0!.Select(BitConverter.DoubleToInt64Bits), v.Select(BitConverter.DoubleToInt64Bits));
        }
        Assert.Equal(w0, SymmetricEigen.Compute(a, n).Values); // the values do not depend on whether vectors are asked for
    }
}
