using NtkDynamics.Tensors;

namespace NtkDynamics.Nn.Layers;

/// <summary>
/// Linear layer's NTK block. With input x_i (in) and cotangent g_r (out) for row r = (a, i):
/// weight: s_w² (x_i·x_j)(g_r·g_s); bias (when there is one): s_b² (g_r·g_s).
/// </summary>
internal sealed class LinearNtkBlock : INtkBlock
{
    private readonly Linear _layer;
    private readonly int _n;
    private readonly double[] _xx; // (n, n): x_i·x_j in float64
    private float[] _gg = [];

    /// <summary>For the input <paramref name="x"/> (n, in) of the eNTK's forward pass.</summary>
    public LinearNtkBlock(Linear layer, Tensor x, int n)
    {
        _layer = layer; _n = n;
        var xd = Array.ConvertAll(x.Data, v => (double)v);
        _xx = new double[n * n];
        Blas.Gemm(false, true, n, n, layer.In, 1.0, xd, layer.In, xd, layer.In, 0.0, _xx, n);
    }

    public IReadOnlyList<string> ParameterNames => _layer.Parameters.Select(p => p.Name).ToArray();
    public string Method => "dense";
    public long CachedFloats => 2L * _n * _n;

    // g1: (R1, out), g2: (R2, out); gg = g1 g2ᵀ (R1, R2), row r = a*n + i; for the trace gg = Σ_a g_a g_aᵀ (n, n).
    public void AddGram(OutputCotangents c1, OutputCotangents c2, GramKind kind, double[][] grams)
    {
        double[] weightGram = grams[0];
        double[]? biasGram = _layer.Bias is null ? null : grams[1];
        Tensor cotangents1 = c1.Values, cotangents2 = c2.Values;
        int r1 = cotangents1.Shape[0], r2 = cotangents2.Shape[0], outF = _layer.Out, n = _n;
        if (kind == GramKind.Trace)
        {
            if (_gg.Length < n * n) _gg = new float[n * n];
            for (int a = 0; a < r1 / n; a++)
                Blas.Gemm(false, true, n, n, outF, 1f, cotangents1.Rows(a * n, n), outF, cotangents1.Rows(a * n, n), outF, a == 0 ? 0f : 1f, _gg, n);
            r1 = r2 = n;
        }
        else
        {
            if (_gg.Length < r1 * r2) _gg = new float[r1 * r2];
            Blas.Gemm(false, true, r1, r2, outF, 1f, cotangents1.Data, outF, cotangents2.Data, outF, 0f, _gg, r2);
        }
        double sw2 = (double)_layer.Scales.WeightMultiplier * _layer.Scales.WeightMultiplier;
        double sb2 = (double)_layer.Scales.BiasMultiplier * _layer.Scales.BiasMultiplier;
        for (int a = 0; a < r1; a++)
            for (int b = 0; b < r2; b++)
            {
                double gg = _gg[a * r2 + b];
                weightGram[a * r2 + b] += sw2 * _xx[(a % n) * n + b % n] * gg;
                if (biasGram is not null) biasGram[a * r2 + b] += sb2 * gg;
            }
    }
}
