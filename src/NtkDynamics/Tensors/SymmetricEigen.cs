using System.Runtime.Intrinsics;

namespace NtkDynamics.Tensors;

/// <summary>
/// Eigenvalues and eigenvectors of a real symmetric matrix in float64, our own and deterministic: Householder
/// tridiagonalisation (on the upper triangle) then implicit QL with Wilkinson shifts. One thread, every sum in a fixed
/// order, 4-wide vectors of <see cref="Vector256{T}"/> (emulated where there is no AVX) and no fused multiply-adds,
/// so the result is bit-identical in every process and on every x86-64 machine, whatever the thread count, the
/// memory alignment or the BLAS core. LAPACK's dsyevd is faster for large n but its threaded and kernel-dependent
/// updates change the last bits from run to run. Backward stable: the eigenvalues of A are those of A + E with
/// ‖E‖₂ ≲ c·n·u·‖A‖₂ (u = 2^-53), so each computed λ is within that of the exact one.
/// </summary>
public static unsafe class SymmetricEigen
{
    private const double Unit = 1.1102230246251565e-16; // 2^-53: an off-diagonal below Unit·(|d_m| + |d_m+1|) is zero

    // Shapes: a is n x n row-major (only its upper triangle is read); values (n), ascending; vectors (n x n) row r is
    // the unit eigenvector of values[r].

    /// <summary>Eigenvalues (ascending) and, when <paramref name="vectors"/>, unit eigenvectors as rows, of the symmetric
    /// row-major n x n <paramref name="matrix"/> (its upper triangle is used).</summary>
    public static (double[] Values, double[]? Vectors) Compute(ReadOnlySpan<double> matrix, int n, bool vectors = false)
    {
        if (n < 0 || matrix.Length != n * n) throw new ArgumentException($"expected a {n}x{n} matrix, got {matrix.Length} elements");
        var a = matrix.ToArray();
        var d = new double[n];
        var e = new double[n];
        var tau = new double[n];
        fixed (double* pa = a)
        {
            Tridiagonalise(pa, n, d, e, tau);
            double[]? z = null;
            if (vectors)
            {
                z = new double[n * n];
                fixed (double* pz = z) AccumulateTransposed(pa, n, tau, pz);
            }
            fixed (double* pz = z) ImplicitQl(d, e, pz, n);
            return Sorted(d, z, n);
        }
    }

    // Step k makes row k zero right of k + 1 with H_k = I - tau_k v vᵀ, v = [1, a[k, k+2..]] on indices k+1..n-1, and
    // applies H_k A22 H_k to the trailing block A22 = a[k+1.., k+1..] (upper triangle). v is left in row k.
    private static void Tridiagonalise(double* a, int n, double[] d, double[] e, double[] tau)
    {
        var work = new double[2 * n];
        fixed (double* pw = work)
            for (int k = 0; k < n - 2; k++)
            {
                int m = n - k - 1;
                double* v = a + (long)k * n + k + 1;
                d[k] = a[(long)k * n + k];
                e[k] = Householder(v, m, out tau[k]);
                if (tau[k] == 0) continue;
                double* p = pw, w = pw + n;
                double* sub = a + (long)(k + 1) * n + k + 1;
                // p = tau A22 v, from the upper triangle: row i gives p_i its diagonal-and-right part and p_j (j > i) u_ij v_i.
                new Span<double>(p, m).Clear();
                for (int i = 0; i < m; i++)
                {
                    double* row = sub + (long)i * n;
                    p[i] += Dot(row + i, v + i, m - i);
                    Axpy(p + i + 1, v[i], row + i + 1, m - i - 1);
                }
                for (int i = 0; i < m; i++) p[i] *= tau[k];
                // w = p - (tau/2)(pᵀv) v; A22 -= v wᵀ + w vᵀ.
                double half = -0.5 * tau[k] * Dot(p, v, m);
                for (int i = 0; i < m; i++) w[i] = p[i] + half * v[i];
                for (int i = 0; i < m; i++)
                    Rank2(sub + (long)i * n + i, v[i], w + i, w[i], v + i, m - i);
            }
        if (n >= 2)
        {
            d[n - 2] = a[(long)(n - 2) * n + n - 2];
            e[n - 2] = a[(long)(n - 2) * n + n - 1];
        }
        if (n >= 1) d[n - 1] = a[(long)n * n - 1];
        if (n >= 1) e[n - 1] = 0;
    }

    // On x (m values): chooses tau and overwrites x with v (v[0] = 1) so that (I - tau v vᵀ) x = beta e_1; returns beta.
    private static double Householder(double* x, int m, out double tau)
    {
        double alpha = x[0], tail = m > 1 ? Math.Sqrt(Dot(x + 1, x + 1, m - 1)) : 0;
        if (tail == 0) { tau = 0; return alpha; }
        double beta = -Math.CopySign(double.Hypot(alpha, tail), alpha);
        tau = (beta - alpha) / beta;
        double scale = 1 / (alpha - beta);
        for (int i = 1; i < m; i++) x[i] *= scale;
        x[0] = 1;
        return beta;
    }

    // zt = Qᵀ where Q = H_0 H_1 ... H_{n-3}, built from the right (each H_k touches only the trailing block), then transposed.
    private static void AccumulateTransposed(double* a, int n, double[] tau, double* zt)
    {
        var q = new double[n * n];
        var u = new double[n];
        fixed (double* pq = q) fixed (double* pu = u)
        {
            for (int i = 0; i < n; i++) pq[(long)i * n + i] = 1;
            for (int k = n - 3; k >= 0; k--)
            {
                if (tau[k] == 0) continue;
                int m = n - k - 1;
                double* v = a + (long)k * n + k + 1, block = pq + (long)(k + 1) * n + k + 1;
                // u = vᵀ B; B -= tau v uᵀ.
                new Span<double>(pu, m).Clear();
                for (int i = 0; i < m; i++) Axpy(pu, v[i], block + (long)i * n, m);
                for (int i = 0; i < m; i++) Axpy(block + (long)i * n, -tau[k] * v[i], pu, m);
            }
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++) zt[(long)j * n + i] = pq[(long)i * n + j];
        }
    }

    // Implicit QL with Wilkinson shifts on the tridiagonal (d diagonal, e[i] coupling i and i + 1). Each plane rotation
    // of rows i, i + 1 is applied to zt's rows i, i + 1 when zt is given. An off-diagonal is dropped when it is below
    // u·(|d_m| + |d_m+1|), or below u·‖T‖: rounding in a block that also holds large values keeps the couplings of its
    // near-zero eigenvalues (a low-rank eNTK has many) at about u·‖T‖, and dropping them perturbs T by no more.
    private static void ImplicitQl(double[] d, double[] e, double* zt, int n)
    {
        double norm = 0;
        for (int i = 0; i < n; i++)
            norm = Math.Max(norm, Math.Abs(d[i]) + Math.Abs(e[i]) + (i > 0 ? Math.Abs(e[i - 1]) : 0));
        double negligible = Unit * norm;
        for (int l = 0; l < n; l++)
        {
            for (int iteration = 0; ; iteration++)
            {
                int m = l;
                for (; m < n - 1; m++)
                    if (Math.Abs(e[m]) <= Math.Max(negligible, Unit * (Math.Abs(d[m]) + Math.Abs(d[m + 1])))) break;
                if (m == l) break;
                if (iteration == 100) throw new InvalidOperationException($"symmetric eigensolver: no convergence on a {n}x{n} matrix");
                double g = (d[l + 1] - d[l]) / (2 * e[l]);
                double r = double.Hypot(g, 1);
                g = d[m] - d[l] + e[l] / (g + Math.CopySign(r, g));
                double s = 1, c = 1, p = 0;
                int i = m - 1;
                bool deflated = false;
                for (; i >= l; i--)
                {
                    double f = s * e[i], b = c * e[i];
                    e[i + 1] = r = double.Hypot(f, g);
                    if (r == 0) { d[i + 1] -= p; e[m] = 0; deflated = true; break; }
                    s = f / r; c = g / r;
                    g = d[i + 1] - p;
                    r = (d[i] - g) * s + 2 * c * b;
                    p = s * r;
                    d[i + 1] = g + p;
                    g = c * r - b;
                    if (zt != null) Rotate(zt + (long)i * n, zt + (long)(i + 1) * n, c, s, n);
                }
                if (deflated) continue;
                d[l] -= p; e[l] = g; e[m] = 0;
            }
        }
    }

    private static (double[] Values, double[]? Vectors) Sorted(double[] d, double[]? zt, int n)
    {
        var order = Enumerable.Range(0, n).ToArray();
        Array.Sort(order, (x, y) => d[x] != d[y] ? d[x].CompareTo(d[y]) : x.CompareTo(y));
        var values = order.Select(i => d[i]).ToArray();
        if (zt is null) return (values, null);
        var vectors = new double[n * n];
        for (int r = 0; r < n; r++) Array.Copy(zt, (long)order[r] * n, vectors, (long)r * n, n);
        return (values, vectors);
    }

    // Σ x_i y_i in a fixed order: four lanes of stride 4, added as ((l0 + l1) + (l2 + l3)), then the tail in order.
    private static double Dot(double* x, double* y, int len)
    {
        var acc = Vector256<double>.Zero;
        int i = 0;
        for (; i + 4 <= len; i += 4) acc += Vector256.Load(x + i) * Vector256.Load(y + i);
        double s = (acc[0] + acc[1]) + (acc[2] + acc[3]);
        for (; i < len; i++) s += x[i] * y[i];
        return s;
    }

    // y += alpha x.
    private static void Axpy(double* y, double alpha, double* x, int len)
    {
        var va = Vector256.Create(alpha);
        int i = 0;
        for (; i + 4 <= len; i += 4) (Vector256.Load(y + i) + va * Vector256.Load(x + i)).Store(y + i);
        for (; i < len; i++) y[i] += alpha * x[i];
    }

    // row -= alpha x + beta y.
    private static void Rank2(double* row, double alpha, double* x, double beta, double* y, int len)
    {
        Vector256<double> va = Vector256.Create(alpha), vb = Vector256.Create(beta);
        int i = 0;
        for (; i + 4 <= len; i += 4)
            (Vector256.Load(row + i) - (va * Vector256.Load(x + i) + vb * Vector256.Load(y + i))).Store(row + i);
        for (; i < len; i++) row[i] -= alpha * x[i] + beta * y[i];
    }

    // (r0, r1) <- (c r0 - s r1, s r0 + c r1).
    private static void Rotate(double* r0, double* r1, double c, double s, int len)
    {
        Vector256<double> vc = Vector256.Create(c), vs = Vector256.Create(s);
        int i = 0;
        for (; i + 4 <= len; i += 4)
        {
            Vector256<double> x = Vector256.Load(r0 + i), y = Vector256.Load(r1 + i);
            (vc * x - vs * y).Store(r0 + i);
            (vs * x + vc * y).Store(r1 + i);
        }
        for (; i < len; i++)
        {
            double x = r0[i], y = r1[i];
            r0[i] = c * x - s * y;
            r1[i] = s * x + c * y;
        }
    }
}
