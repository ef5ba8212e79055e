using NtkDynamics.Nn;
using NtkDynamics.Nn.Layers;
using NtkDynamics.Tensors;

namespace NtkDynamics.Tests.Ntk;

/// <summary><see cref="DensePatchGram"/> against the float64 sum Σ_c Σ_pq D1[r, c, p] S[(i, p), (j, q)] D2[s, c, q].</summary>
public class DensePatchGramTests
{
    private static float[] Random(int length, ulong seed)
    {
        var x = new float[length];
        new Rng(seed).FillNormal(x, 1);
        return x;
    }

    // n samples, logits g1 (and g2 for a pair of groups), C channels, P positions; s = A Aᵀ of random patches (symmetric, as a
    // patch Gram: one group's pairs j < i are its mirror images). 600 channels of 10 logits take E in blocks of one sample.
    [Theory]
    [InlineData(GramKind.Symmetric, 5, 3, 3, 4, 16)]
    [InlineData(GramKind.Symmetric, 4, 10, 10, 600, 16)]
    [InlineData(GramKind.Pairs, 5, 3, 2, 4, 32)]
    [InlineData(GramKind.Pairs, 3, 7, 5, 400, 16)]
    [InlineData(GramKind.Trace, 6, 4, 4, 3, 48)]
    [InlineData(GramKind.Trace, 3, 10, 10, 600, 16)]
    public void EqualsTheSumOverPatchPairs(GramKind kind, int n, int g1, int g2, int cout, int p)
    {
        const int k = 7;
        int np = n * p, rows1 = g1 * n, rows2 = g2 * n;
        float[] patches = Random(np * k, 1), d1 = Random(rows1 * cout * p, 2), d2 = kind == GramKind.Pairs ? Random(rows2 * cout * p, 3) : d1;
        var s = new float[np * np];
        for (int x = 0; x < np; x++)
            for (int y = 0; y < np; y++)
            {
                double v = 0;
                for (int t = 0; t < k; t++) v += (double)patches[x * k + t] * patches[y * k + t];
                s[x * np + y] = (float)v;
            }
        int columns = kind == GramKind.Trace ? n : rows2;
        var want = new double[(kind == GramKind.Trace ? n : rows1) * columns];
        for (int r = 0; r < rows1; r++)
            for (int t = 0; t < rows2; t++)
            {
                int i = r % n, j = t % n;
                if (kind == GramKind.Trace && r / n != t / n) continue;
                double v = 0;
                for (int c = 0; c < cout; c++)
                    for (int a = 0; a < p; a++)
                        for (int b = 0; b < p; b++)
                            v += (double)d1[(r * cout + c) * p + a] * s[(i * p + a) * np + j * p + b] * d2[(t * cout + c) * p + b];
                want[kind == GramKind.Trace ? i * n + j : r * columns + t] += 0.5 * v;
            }
        var got = new double[want.Length];
        DensePatchGram.Add(s, d1, d2, rows1, rows2, n, cout, p, kind, 0.5, got);
        double scale = want.Max(Math.Abs), worst = 0;
        for (int x = 0; x < want.Length; x++) worst = Math.Max(worst, Math.Abs(got[x] - want[x]) / scale);
        Assert.True(worst < 1e-5, $"{worst}");
    }
}
