using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using NtkDynamics.Tensors;

namespace NtkDynamics.Nn.Layers;

/// <summary>
/// A Conv2d's weight Gram from pooled output cotangents (<see cref="OutputCotangents.IsPooled"/>) and the Gram S = A Aᵀ of the
/// patches of every sample, without scattering the cotangents: for rows r = (a, i) and s = (b, j),
///   ⟨J_r, J_s⟩ = Σ_c Σ_qq' V_r[c, q] V_s[c, q'] S[(i, src(i, c, q)), (j, src(j, c, q'))].
/// A pair of samples costs C·Q² picked entries of S and C·Q·(Q·g1 + g1·g2) multiply-adds, against the patch Gram's P²·K.
/// It is the cheap way for a last convolution with few positions (the paper CNN's conv3: 8 x 8 before the pool), where the
/// full kernel's per-sample Jacobian Gram costs (nk)²·C·K.
/// </summary>
internal static unsafe class PooledPatchGram
{
    // s: patch Gram tile, row (i - i0)·P + p for samples i in [i0, i0 + bi), column (j - j0)·P + p' for j in [j0, j0 + bj),
    // row stride ld; when upper, only its sample blocks with j ≥ i hold values (a block with j < i is read transposed from
    // (j, i)). c1, c2: values (R, C, Q), row a·n + i; sources (n, C, Q); bySource: BySource(c1, i0, bi, n), found once for a
    // row of tiles. gram: (R1, R2), or (n, n) for the trace.
    // Per pair (i, j) of the tile (j ≥ i on a diagonal tile of one group, the mirror image written too):
    //   T[a, c, q'] = Σ_q V1[a·n + i, c, q] S[(i, src(i, c, q)), (j, src(j, c, q'))]   (q over the values whose ReLU is on)
    //   gram[a·n + i, b·n + j] += scale Σ_cq' T[a, c, q'] V2[b·n + j, c, q']      (trace: gram[i, j] += scale Σ_a of a = b)
    // The pair's block of S (P x P) is copied first: its rows are a whole row of S apart, which the L1 cache cannot hold.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Add(float* s, long ld, bool upper, int i0, int bi, int j0, int bj, OutputCotangents c1, (float[] Values, int[] Active) bySource,
        OutputCotangents c2, GramKind kind, int n, double scale, double[] gram)
    {
        bool same = kind != GramKind.Pairs, trace = kind == GramKind.Trace, diagonal = same && i0 == j0;
        int cout = c1.Values.Shape[1], q = c1.Values.Shape[2], p = c1.DenseShape[2] * c1.DenseShape[3];
        int g1 = c1.Rows / n, g2 = c2.Rows / n, cq = cout * q, qv = (q + 15) / 16 * 16, stride = cq + qv;
        int columns = trace ? n : c2.Rows;
        var (values, active) = bySource;
        float[] v2 = c2.Values.Data;
        int[] src = c1.Sources!;
        // Per thread: T (g1 rows of C·Q, then room for the last channel's vector tail), the picked entries of S for each pooled
        // value (Q rows of Q, zero to qv) and the pair's block of S.
        Parallel.For(0, bi * bj, TensorMath.Options((long)bi * bj * cq * (q + g1 * g2)), () => new float[g1 * stride + q * qv + p * p], (ij, _, t) =>
        {
            int i = i0 + ij / bj, j = j0 + ij % bj;
            if (diagonal && j < i) return t;
            fixed (float* pt = t, pv = values, pv2 = v2)
            fixed (int* ps = src, pact = active)
            {
                float* picked = pt + g1 * stride, block = picked + q * qv;
                new Span<float>(picked, q * qv).Clear();
                if (upper && j < i)
                    for (int r = 0; r < p; r++)
                    {
                        float* column = s + (long)(j - i0) * p * ld + (long)(i - j0) * p + r; // S[(j, ·), (i, r)]
                        for (int e = 0; e < p; e++) block[r * p + e] = column[e * ld];
                    }
                else
                    for (int r = 0; r < p; r++)
                        new ReadOnlySpan<float>(s + ((long)(i - i0) * p + r) * ld + (long)(j - j0) * p, p).CopyTo(new Span<float>(block + r * p, p));
                for (int c = 0; c < cout; c++)
                {
                    int* sj = ps + (j * cout + c) * q, on = pact + ((i - i0) * cout + c) * (q + 1);
                    int active = on[0];
                    for (int k = 0; k < active; k++)
                    {
                        Gather.Floats(block + ps[(i * cout + c) * q + on[k + 1]] * p, sj, q, picked + k * qv);
                    }
                    float* vc = pv + (long)((i - i0) * cout + c) * q * g1; // (Q, g1): this channel's values, logits innermost
                    for (int a0 = 0; a0 < g1; a0 += Block)
                        for (int e = 0; e < qv; e += 16)
                            Contract(picked + e, qv, vc + a0, g1, on + 1, active, Math.Min(Block, g1 - a0), pt + a0 * stride + c * q + e, stride);
                }
                if (trace)
                {
                    double sum = 0;
                    for (int a = 0; a < g1; a++)
                        sum += scale * TensorPrimitives.Dot(new ReadOnlySpan<float>(pt + a * stride, cq), new ReadOnlySpan<float>(pv2 + ((long)a * n + j) * cq, cq));
                    gram[i * n + j] += sum;
                    if (i != j) gram[j * n + i] += sum;
                    return t;
                }
                float* dots = stackalloc float[DotRows * DotColumns];
                for (int a0 = 0; a0 < g1; a0 += DotRows)
                    for (int b0 = 0; b0 < g2; b0 += DotColumns)
                    {
                        int rows = Math.Min(DotRows, g1 - a0), cols = Math.Min(DotColumns, g2 - b0);
                        DotTile(pt + a0 * stride, stride, pv2 + ((long)b0 * n + j) * cq, (long)n * cq, cq, rows, cols, dots);
                        for (int a = a0; a < a0 + rows; a++)
                            for (int b = b0; b < b0 + cols; b++)
                            {
                                double dot = scale * dots[(a - a0) * DotColumns + b - b0];
                                int r = a * n + i, col = b * n + j;
                                gram[r * columns + col] += dot;
                                if (same && i != j) gram[col * columns + r] += dot;
                            }
                    }
            }
            return t;
        }, _ => { });
    }

    private const int Block = 8, DotRows = 2, DotColumns = 4;

    // dots[x·4 + y] = Σ_e t[x·ldt + e] v[y·ldv + e] for x < rows (at most 2), y < cols (at most 4): 8 sums in registers, 6
    // vector loads per 8 FMAs (a dot product at a time loads 2 per FMA).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DotTile(float* t, long ldt, float* v, long ldv, int length, int rows, int cols, float* dots)
    {
        Vector512<float> s00 = default, s01 = default, s02 = default, s03 = default, s10 = default, s11 = default, s12 = default, s13 = default;
        float* t1 = t + (rows > 1 ? ldt : 0), v1 = v + (cols > 1 ? ldv : 0), v2 = v + (cols > 2 ? 2 * ldv : 0), v3 = v + (cols > 3 ? 3 * ldv : 0);
        int e = 0;
        for (; e + 16 <= length; e += 16)
        {
            var x0 = Vector512.Load(t + e); var x1 = Vector512.Load(t1 + e);
            var y0 = Vector512.Load(v + e); var y1 = Vector512.Load(v1 + e); var y2 = Vector512.Load(v2 + e); var y3 = Vector512.Load(v3 + e);
            s00 = Vector512.FusedMultiplyAdd(x0, y0, s00); s01 = Vector512.FusedMultiplyAdd(x0, y1, s01); s02 = Vector512.FusedMultiplyAdd(x0, y2, s02); s03 = Vector512.FusedMultiplyAdd(x0, y3, s03);
            s10 = Vector512.FusedMultiplyAdd(x1, y0, s10); s11 = Vector512.FusedMultiplyAdd(x1, y1, s11); s12 = Vector512.FusedMultiplyAdd(x1, y2, s12); s13 = Vector512.FusedMultiplyAdd(x1, y3, s13);
        }
        dots[0] = Vector512.Sum(s00); dots[1] = Vector512.Sum(s01); dots[2] = Vector512.Sum(s02); dots[3] = Vector512.Sum(s03);
        dots[4] = Vector512.Sum(s10); dots[5] = Vector512.Sum(s11); dots[6] = Vector512.Sum(s12); dots[7] = Vector512.Sum(s13);
        for (; e < length; e++)
        {
            dots[0] += t[e] * v[e]; dots[1] += t[e] * v1[e]; dots[2] += t[e] * v2[e]; dots[3] += t[e] * v3[e];
            dots[4] += t1[e] * v[e]; dots[5] += t1[e] * v1[e]; dots[6] += t1[e] * v2[e]; dots[7] += t1[e] * v3[e];
        }
    }

    // out[t·stride + (0..16)] = Σ_k v[u_k·g + t] picked[k·qv + (0..16)] for t < rows (at most 8): the rows' sums stay in registers.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Contract(float* picked, int qv, float* v, int g, int* u, int active, int rows, float* @out, int stride)
    {
        Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default, s4 = default, s5 = default, s6 = default, s7 = default;
        for (int k = 0; k < active; k++)
        {
            var x = Vector512.Load(picked + k * qv);
            float* vk = v + u[k] * g;
            s0 = Vector512.FusedMultiplyAdd(Vector512.Create(vk[0]), x, s0);
            if (rows > 1) s1 = Vector512.FusedMultiplyAdd(Vector512.Create(vk[1]), x, s1);
            if (rows > 2) s2 = Vector512.FusedMultiplyAdd(Vector512.Create(vk[2]), x, s2);
            if (rows > 3) s3 = Vector512.FusedMultiplyAdd(Vector512.Create(vk[3]), x, s3);
            if (rows > 4) s4 = Vector512.FusedMultiplyAdd(Vector512.Create(vk[4]), x, s4);
            if (rows > 5) s5 = Vector512.FusedMultiplyAdd(Vector512.Create(vk[5]), x, s5);
            if (rows > 6) s6 = Vector512.FusedMultiplyAdd(Vector512.Create(vk[6]), x, s6);
            if (rows > 7) s7 = Vector512.FusedMultiplyAdd(Vector512.Create(vk[7]), x, s7);
        }
        s0.Store(@out);
        if (rows > 1) s1.Store(@out + stride);
        if (rows > 2) s2.Store(@out + 2 * stride);
        if (rows > 3) s3.Store(@out + 3 * stride);
        if (rows > 4) s4.Store(@out + 4 * stride);
        if (rows > 5) s5.Store(@out + 5 * stride);
        if (rows > 6) s6.Store(@out + 6 * stride);
        if (rows > 7) s7.Store(@out + 7 * stride);
    }

    // For samples [i0, i0 + bi): values (bi, C, Q, g) = V[a·n + i, c, q] with the group's logits innermost, and per (i, c) the
    // pooled positions where some logit's value is not zero (the ReLU is on at that maximum): (bi, C, 1 + Q), count first.
    public static (float[] Values, int[] Active) BySource(OutputCotangents oc, int i0, int bi, int n)
    {
        int cout = oc.Values.Shape[1], q = oc.Values.Shape[2], g = oc.Rows / n, cq = cout * q;
        var values = new float[(long)bi * cq * g];
        var active = new int[bi * cout * (q + 1)];
        float[] v = oc.Values.Data;
        Parallel.For(0, bi, TensorMath.Options((long)bi * cq * g), i =>
        {
            for (int c = 0; c < cout; c++)
            {
                int count = 0, at = (i * cout + c) * (q + 1);
                for (int u = 0; u < q; u++)
                {
                    bool any = false;
                    for (int a = 0; a < g; a++)
                    {
                        float x = v[(long)(a * n + i0 + i) * cq + c * q + u];
                        values[((long)(i * cout + c) * q + u) * g + a] = x;
                        any |= x != 0;
                    }
                    if (any) active[at + ++count] = u;
                }
                active[at] = count;
            }
        });
        return (values, active);
    }
}
