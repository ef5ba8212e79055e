using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using NtkDynamics.Tensors;

namespace NtkDynamics.Nn.Layers;

/// <summary>
/// A Conv2d's weight Gram from dense output cotangents and the Gram S = A Aᵀ of every sample's patches, a pair of samples at a
/// time: for rows r = (a, i) and s = (b, j), with S_ij the (P x P) block of samples i and j,
///   ⟨J_r, J_s⟩ = Σ_c D_r[c, :] S_ij D_s[c, :]ᵀ,
/// so E_(a,i),j = D_(a,i) S_ij (C x P) once per logit, then one dot product of C·P per pair of logits: g1·C·P·(P + g2)
/// multiply-adds per pair of samples, where the Grams of the cotangents D_aᵀ D_b cost g1·g2·C·P² (1/g2 + 1/P of it: a sixth at
/// ResNet-18's last stage, P = 16 and 10 logits). Within one group only the pairs j ≥ i are computed.
/// </summary>
internal static unsafe class DensePatchGram
{
    private const int BlockFloats = 1 << 17; // a thread's E for a block of samples j: 512 KiB, in its core's L2 cache
    private const int ChunkFloats = 1 << 11; // the rows of E and D2 of a chunk of channels in the contraction: 8 KiB, in L1

    /// <summary>Whether a plane of <paramref name="p"/> positions fits the kernels (whole vectors of GatherGemm's width).</summary>
    public static bool Supports(int p) => p % GatherGemm.ColumnMultiple == 0;

    // s: (nP, nP) row-major, every sample block. d1: (R1, C, P), d2: (R2, C, P), row a·n + i. gram: (R1, R2), or (n, n) for
    // the trace (then d1 = d2). Per sample i (in parallel) and block of samples J (j ≥ i within one group, the mirror image
    // written too):
    //   E[(a, c), (j, q)] = Σ_p D1[a·n + i, c, p] S[(i, p), (j, q)]                  (GatherGemm, 5 rows at a time)
    //   gram[a·n + i, b·n + j] += scale Σ_cq E[(a, c), (j, q)] D2[b·n + j, c, q]     (trace: gram[i, j] += scale Σ_a of a = b)
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Add(float[] s, float[] d1, float[] d2, int rows1, int rows2, int n, int cout, int p, GramKind kind, double scale, double[] gram)
    {
        bool same = kind != GramKind.Pairs, trace = kind == GramKind.Trace;
        int g1 = rows1 / n, g2 = rows2 / n, np = n * p, ec = g1 * cout, columns = trace ? n : rows2;
        int jb = Math.Clamp(BlockFloats / (ec * p), 1, n), width = jb * p;
        long pairs = same ? (long)n * (n + 1) / 2 : (long)n * n;
        GatherGemm.Count(2 * pairs * ec * p * p);
        Parallel.For(0, n, TensorMath.Options(pairs * ec * p * (p + g2)), () => new float[ec * width + g1 * g2 * 16], (i, _, e) =>
        {
            const int T = GatherGemm.T;
            float** h = stackalloc float*[T];
            float** o = stackalloc float*[T];
            float** b = stackalloc float*[p];
            fixed (float* ps = s, pd1 = d1, pd2 = d2, pe = e)
                for (int j0 = same ? i : 0; j0 < n; j0 += jb)
                {
                    int bj = Math.Min(jb, n - j0);
                    for (int u = 0; u < p; u++) b[u] = ps + (long)(i * p + u) * np + j0 * p;
                    for (int r0 = 0; r0 < ec; r0 += T)
                    {
                        int tn = Math.Min(T, ec - r0);
                        for (int t = 0; t < tn; t++)
                        {
                            int a = (r0 + t) / cout, c = (r0 + t) % cout;
                            h[t] = pd1 + ((long)(a * n + i) * cout + c) * p;
                            o[t] = pe + (long)(r0 + t) * width;
                        }
                        GatherGemm.Multiply(tn, p, bj * p, h, b, o);
                    }
                    for (int j = j0; j < j0 + bj; j++)
                    {
                        float* ej = pe + (j - j0) * p;
                        if (trace) Diagonal(ej, width, pd2, i, j, n, g1, cout, p, same, scale, gram);
                        else Contract(ej, width, pd2, i, j, n, g1, g2, cout, p, same, scale, gram, columns, pe + ec * width);
                    }
                }
            return e;
        }, _ => { });
    }

    // e: E's columns of sample j, row (a, c) at e + (a·C + c)·ld. gram[a·n + i, b·n + j] += scale Σ_cq e[(a, c), q] D2[b·n + j, c, q],
    // by 2 x 4 tiles of (a, b) (6 vector loads per 8 FMAs) over chunks of channels whose rows of e and D2 stay in L1, the tiles'
    // sums kept in acc (g1·g2 vectors) between the chunks; a tile's rows past g1 or g2 repeat its first and are not kept.
    private static void Contract(float* e, int ld, float* d2, int i, int j, int n, int g1, int g2, int cout, int p, bool same, double scale,
        double[] gram, int columns, float* acc)
    {
        int chunk = Math.Max(1, ChunkFloats / (2 * Math.Max(g1, g2) * p));
        new Span<float>(acc, g1 * g2 * 16).Clear();
        for (int c0 = 0; c0 < cout; c0 += chunk)
        {
            int c1 = Math.Min(cout, c0 + chunk);
            for (int a0 = 0; a0 < g1; a0 += 2)
            {
                int a1 = a0 + 1 < g1 ? a0 + 1 : a0;
                for (int b0 = 0; b0 < g2; b0 += 4)
                {
                    int b1 = b0 + 1 < g2 ? b0 + 1 : b0, b2 = b0 + 2 < g2 ? b0 + 2 : b0, b3 = b0 + 3 < g2 ? b0 + 3 : b0;
                    Vector512<float> s00 = default, s01 = default, s02 = default, s03 = default, s10 = default, s11 = default, s12 = default, s13 = default;
                    float* e0 = e + (long)(a0 * cout + c0) * ld, e1 = e + (long)(a1 * cout + c0) * ld;
                    float* f0 = d2 + ((long)(b0 * n + j) * cout + c0) * p, f1 = d2 + ((long)(b1 * n + j) * cout + c0) * p;
                    float* f2 = d2 + ((long)(b2 * n + j) * cout + c0) * p, f3 = d2 + ((long)(b3 * n + j) * cout + c0) * p;
                    for (int c = c0; c < c1; c++, e0 += ld, e1 += ld, f0 += p, f1 += p, f2 += p, f3 += p)
                        for (int q = 0; q < p; q += 16)
                        {
                            var x0 = Vector512.Load(e0 + q); var x1 = Vector512.Load(e1 + q);
                            var y0 = Vector512.Load(f0 + q); var y1 = Vector512.Load(f1 + q); var y2 = Vector512.Load(f2 + q); var y3 = Vector512.Load(f3 + q);
                            s00 = Vector512.FusedMultiplyAdd(x0, y0, s00); s01 = Vector512.FusedMultiplyAdd(x0, y1, s01);
                            s02 = Vector512.FusedMultiplyAdd(x0, y2, s02); s03 = Vector512.FusedMultiplyAdd(x0, y3, s03);
                            s10 = Vector512.FusedMultiplyAdd(x1, y0, s10); s11 = Vector512.FusedMultiplyAdd(x1, y1, s11);
                            s12 = Vector512.FusedMultiplyAdd(x1, y2, s12); s13 = Vector512.FusedMultiplyAdd(x1, y3, s13);
                        }
                    Keep(acc, a0, b0, g2, s00, s01, s02, s03);
                    if (a0 + 1 < g1) Keep(acc, a0 + 1, b0, g2, s10, s11, s12, s13);
                }
            }
        }
        for (int a = 0; a < g1; a++)
            for (int b = 0; b < g2; b++)
            {
                var sum = Vector512.Load(acc + (a * g2 + b) * 16);
                double v = scale * Vector512.Sum(Vector512.WidenLower(sum) + Vector512.WidenUpper(sum));
                int row = a * n + i, col = b * n + j;
                gram[(long)row * columns + col] += v;
                if (same && j != i) gram[(long)col * columns + row] += v;
            }
    }

    // acc[a, b0 + u] += s_u for the columns b0 + u < g2.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Keep(float* acc, int a, int b0, int g2, Vector512<float> s0, Vector512<float> s1, Vector512<float> s2, Vector512<float> s3)
    {
        float* at = acc + (a * g2 + b0) * 16;
        (Vector512.Load(at) + s0).Store(at);
        if (b0 + 1 < g2) (Vector512.Load(at + 16) + s1).Store(at + 16);
        if (b0 + 2 < g2) (Vector512.Load(at + 32) + s2).Store(at + 32);
        if (b0 + 3 < g2) (Vector512.Load(at + 48) + s3).Store(at + 48);
    }

    // The trace: gram[i, j] (and [j, i]) += scale Σ_a Σ_cq e[(a, c), q] D2[a·n + j, c, q], each logit's sum in float32.
    private static void Diagonal(float* e, int ld, float* d2, int i, int j, int n, int g, int cout, int p, bool same, double scale, double[] gram)
    {
        double v = 0;
        for (int a = 0; a < g; a++)
        {
            var sum = Vector512<float>.Zero;
            for (int c = 0; c < cout; c++)
            {
                float* x = e + (long)(a * cout + c) * ld, y = d2 + ((long)(a * n + j) * cout + c) * p;
                for (int q = 0; q < p; q += 16) sum = Vector512.FusedMultiplyAdd(Vector512.Load(x + q), Vector512.Load(y + q), sum);
            }
            v += Vector512.Sum(Vector512.WidenLower(sum) + Vector512.WidenUpper(sum));
        }
        v *= scale;
        gram[i * n + j] += v;
        if (same && j != i) gram[j * n + i] += v;
    }
}
