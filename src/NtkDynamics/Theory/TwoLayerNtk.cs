namespace NtkDynamics.Theory;

/// <summary>
/// The closed form of the infinite-width kernels of f(x) = (σ_a/√m) Σ_j a_j relu(u_j) + σ_b b_out,
/// u_j = (σ_w/√d) w_j·x + σ_b b_j, all parameters N(0, 1), NTK parametrisation. Writing x̃ = (σ_w x/√d, σ_b),
/// u = w̃·x̃ with w̃ ~ N(0, I), so with Cho and Saul's arc-cosine kernels k0, k1 of x̃ and x̃':
/// Θ(x, x') = σ_a² E[a² relu'(u) relu'(u')] x̃·x̃' + σ_a² E[relu(u) relu(u')] + σ_b²
///          = σ_a² (k0/2) x̃·x̃' + σ_a² (k1/2) + σ_b²,  and the NNGP Σ(x, x') = σ_a² (k1/2) + σ_b².
/// This is <see cref="AnalyticNtk"/> at depth 1, written out independently of the recursion.
/// </summary>
public static class TwoLayerNtk
{
    /// <summary>The NNGP and NTK of one pair of inputs x, y of the same dimension d.</summary>
    public static (double Nngp, double Ntk) Pair(ReadOnlySpan<double> x, ReadOnlySpan<double> y, double sigmaW, double sigmaB, double sigmaA)
    {
        if (x.Length != y.Length) throw new ArgumentException($"inputs of different dimension: {x.Length} and {y.Length}");
        double xx = 0, yy = 0, xy = 0, scale = sigmaW * sigmaW / x.Length, b2 = sigmaB * sigmaB, a2 = sigmaA * sigmaA;
        for (int c = 0; c < x.Length; c++) { xx += x[c] * x[c]; yy += y[c] * y[c]; xy += x[c] * y[c]; }
        // Gram entries of the augmented inputs x̃ = (σ_w x/√d, σ_b)
        double ax = scale * xx + b2, ay = scale * yy + b2, axy = scale * xy + b2;
        double k0 = ArcCosine.Order0(ax, ay, axy), k1 = ArcCosine.Order1(ax, ay, axy);
        double nngp = a2 * k1 / 2 + b2;
        return (nngp, nngp + a2 * k0 / 2 * axy);
    }

    /// <summary>Both kernels between the rows of x1 (n1, d) and x2 (n2, d): each (n1, n2).</summary>
    public static (double[] Nngp, double[] Ntk) Kernel(double[] x1, int n1, double[] x2, int n2, int d,
        double sigmaW, double sigmaB, double sigmaA)
    {
        if (x1.Length != n1 * d || x2.Length != n2 * d) throw new ArgumentException($"expected {n1}x{d} and {n2}x{d} inputs");
        var nngp = new double[n1 * n2];
        var ntk = new double[n1 * n2];
        for (int i = 0; i < n1; i++)
            for (int j = 0; j < n2; j++)
                (nngp[i * n2 + j], ntk[i * n2 + j]) = Pair(x1.AsSpan(i * d, d), x2.AsSpan(j * d, d), sigmaW, sigmaB, sigmaA);
        return (nngp, ntk);
    }
}
