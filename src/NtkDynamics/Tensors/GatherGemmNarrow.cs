using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace NtkDynamics.Tensors;

// The gathered GEMM for CPUs without 512-bit vectors (AVX2: 16 registers of 8 floats), where Vector512 is emulated and
// the 5 x 64 tile's 20 accumulators spill: 5 rows x 16 columns in 10 Vector256 accumulators, 2 loads and up to 5
// broadcasts per 10 FMAs. Each output is still one float32 FMA chain over s in order, so the results are the same bits.
public static unsafe partial class GatherGemm
{
    // h: rows pointers to q floats; b: q pointers to width floats; out: rows pointers to width floats; width % 16 == 0.
    // out[t][c] (+)= Σ_s h[t][s] · b[s][c], 16 columns at a time.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void NarrowMultiply<TRows>(int q, int width, float** h, float** b, float** @out, bool accumulate) where TRows : struct, IRows
    {
        float* h0 = h[0], h1 = TRows.Count > 1 ? h[1] : null, h2 = TRows.Count > 2 ? h[2] : null, h3 = TRows.Count > 3 ? h[3] : null,
            h4 = TRows.Count > 4 ? h[4] : null;
        for (int c = 0; c < width; c += 16)
        {
            Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
            Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default;
            for (int s = 0; s < q; s++)
            {
                float* br = b[s] + c;
                if (s + Ahead < q) Prefetch(b[s + Ahead] + c, 1);
                var b0 = Vector256.Load(br); var b1 = Vector256.Load(br + 8);
                var x = Vector256.Create(h0[s]); c00 = Vector256.FusedMultiplyAdd(x, b0, c00); c01 = Vector256.FusedMultiplyAdd(x, b1, c01);
                if (TRows.Count > 1) { x = Vector256.Create(h1[s]); c10 = Vector256.FusedMultiplyAdd(x, b0, c10); c11 = Vector256.FusedMultiplyAdd(x, b1, c11); }
                if (TRows.Count > 2) { x = Vector256.Create(h2[s]); c20 = Vector256.FusedMultiplyAdd(x, b0, c20); c21 = Vector256.FusedMultiplyAdd(x, b1, c21); }
                if (TRows.Count > 3) { x = Vector256.Create(h3[s]); c30 = Vector256.FusedMultiplyAdd(x, b0, c30); c31 = Vector256.FusedMultiplyAdd(x, b1, c31); }
                if (TRows.Count > 4) { x = Vector256.Create(h4[s]); c40 = Vector256.FusedMultiplyAdd(x, b0, c40); c41 = Vector256.FusedMultiplyAdd(x, b1, c41); }
            }
            Store(@out[0] + c, c00, c01, accumulate);
            if (TRows.Count > 1) Store(@out[1] + c, c10, c11, accumulate);
            if (TRows.Count > 2) Store(@out[2] + c, c20, c21, accumulate);
            if (TRows.Count > 3) Store(@out[3] + c, c30, c31, accumulate);
            if (TRows.Count > 4) Store(@out[4] + c, c40, c41, accumulate);
        }
    }

    // o[0..16) (+)= [lo, hi]
    private static void Store(float* o, Vector256<float> lo, Vector256<float> hi, bool accumulate)
    {
        if (accumulate) { lo += Vector256.Load(o); hi += Vector256.Load(o + 8); }
        lo.Store(o);
        hi.Store(o + 8);
    }
}
