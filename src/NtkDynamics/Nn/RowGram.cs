namespace NtkDynamics.Nn;

/// <summary>Grams of per-row vectors (a parameter whose Jacobian row is short: biases, BatchNorm's γ and β).</summary>
public static class RowGram
{
    /// <summary>
    /// v1 (R1, d), v2 (R2, d): rows a·n + i of two groups. Adds scale · v1 v2ᵀ into gram (R1 x R2), or for
    /// <see cref="GramKind.Trace"/> (one group of g logits) scale · Σ_a v1[a·n + i] · v2[a·n + j] into gram (n x n).
    /// </summary>
    public static void Add(double[] v1, double[] v2, int rows1, int rows2, int d, int n, GramKind kind, double scale, double[] gram)
    {
        bool trace = kind == GramKind.Trace;
        int g = trace ? rows1 / n : 1, r1 = rows1 / g, r2 = rows2 / g;
        // The trace concatenates a sample's logits: row i = [v[0·n + i], v[1·n + i], ...] (n, g·d).
        double[] Concatenated(double[] v)
        {
            var c = new double[rows1 * d];
            for (int r = 0; r < rows1; r++) Array.Copy(v, r * d, c, ((r % n) * g + r / n) * d, d);
            return c;
        }
        var a = trace ? Concatenated(v1) : v1;
        var b = trace ? (ReferenceEquals(v1, v2) ? a : Concatenated(v2)) : v2;
        var product = new double[r1 * r2];
        Tensors.Blas.Gemm(false, true, r1, r2, g * d, 1.0, a, g * d, b, g * d, 0.0, product, r2);
        for (int i = 0; i < product.Length; i++) gram[i] += scale * product[i];
    }
}
