using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NtkDynamics.Tensors;

// The packed Gram's tile for CPUs without 512-bit vectors (AVX2: 16 registers of 8 floats), where Vector512 is emulated and
// the 8 x 48 tile's 24 accumulators spill: 4 rows x one 16-row panel in 8 accumulators, 2 loads and 4 broadcasts per 8 FMAs.
// Each entry of C is still one float32 FMA chain over the block's columns in order, so the sums are the same bits as the
// wide tile's.
public static unsafe partial class SymmetricGram
{
    private const int NarrowRows = 4;

    // Tiles of the packed Gram: (rows, panels) of the wide tile when the CPU has 512-bit vectors, else the narrow one's.
    private static bool Wide => Vector512.IsHardwareAccelerated;

    // own[r0 + x, 16 p0 + y] += Σ_p A[r0 + x, p] A[16 p0 + y, p] for x < 4, y < 16 over the packed block (mp / 16, kb, 16);
    // only entries on or above the diagonal and inside m are kept.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void NarrowTile(float* packed, int kb, int r0, int p0, int m, double* own)
    {
        float* t = stackalloc float[NarrowRows * Lanes];
        float* x = packed + (long)(r0 / Lanes) * kb * Lanes + r0 % Lanes;
        float* y = packed + (long)p0 * kb * Lanes;
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        for (int p = 0; p < kb; p++, x += Lanes, y += Lanes)
        {
            var b0 = Vector256.Load(y);
            var b1 = Vector256.Load(y + 8);
            var v = Vector256.Create(x[0]); c00 = Vector256.FusedMultiplyAdd(v, b0, c00); c01 = Vector256.FusedMultiplyAdd(v, b1, c01);
            v = Vector256.Create(x[1]); c10 = Vector256.FusedMultiplyAdd(v, b0, c10); c11 = Vector256.FusedMultiplyAdd(v, b1, c11);
            v = Vector256.Create(x[2]); c20 = Vector256.FusedMultiplyAdd(v, b0, c20); c21 = Vector256.FusedMultiplyAdd(v, b1, c21);
            v = Vector256.Create(x[3]); c30 = Vector256.FusedMultiplyAdd(v, b0, c30); c31 = Vector256.FusedMultiplyAdd(v, b1, c31);
        }
        c00.Store(t); c01.Store(t + 8); c10.Store(t + 16); c11.Store(t + 24);
        c20.Store(t + 32); c21.Store(t + 40); c30.Store(t + 48); c31.Store(t + 56);
        int columns = Math.Min(Lanes, m - p0 * Lanes);
        for (int r = 0; r < NarrowRows && r0 + r < m; r++)
        {
            int i = r0 + r;
            double* row = own + (long)i * m + p0 * Lanes;
            for (int col = Math.Max(0, i - p0 * Lanes); col < columns; col++) row[col] += t[r * Lanes + col];
        }
    }

    // out[16 j + r] = rows[r][p + j] for r, j < 8 (rows past `live` are zero): the AVX2 8 x 8 transpose (unpack 32-bit,
    // shuffle 64-bit pairs, swap 128-bit halves), for one half of a 16-row panel.
    private static void Transpose8(float** rows, int p, int live, float* @out)
    {
        Vector256<float> Row(int r) => r < live ? Avx.LoadVector256(rows[r] + p) : Vector256<float>.Zero;
        Vector256<float> r0 = Row(0), r1 = Row(1), r2 = Row(2), r3 = Row(3), r4 = Row(4), r5 = Row(5), r6 = Row(6), r7 = Row(7);
        var t0 = Avx.UnpackLow(r0, r1); var t1 = Avx.UnpackHigh(r0, r1); var t2 = Avx.UnpackLow(r2, r3); var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5); var t5 = Avx.UnpackHigh(r4, r5); var t6 = Avx.UnpackLow(r6, r7); var t7 = Avx.UnpackHigh(r6, r7);
        var s0 = Avx.Shuffle(t0, t2, 0x44); var s1 = Avx.Shuffle(t0, t2, 0xEE); var s2 = Avx.Shuffle(t1, t3, 0x44); var s3 = Avx.Shuffle(t1, t3, 0xEE);
        var s4 = Avx.Shuffle(t4, t6, 0x44); var s5 = Avx.Shuffle(t4, t6, 0xEE); var s6 = Avx.Shuffle(t5, t7, 0x44); var s7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Permute2x128(s0, s4, 0x20).Store(@out); Avx.Permute2x128(s1, s5, 0x20).Store(@out + 16);
        Avx.Permute2x128(s2, s6, 0x20).Store(@out + 32); Avx.Permute2x128(s3, s7, 0x20).Store(@out + 48);
        Avx.Permute2x128(s0, s4, 0x31).Store(@out + 64); Avx.Permute2x128(s1, s5, 0x31).Store(@out + 80);
        Avx.Permute2x128(s2, s6, 0x31).Store(@out + 96); Avx.Permute2x128(s3, s7, 0x31).Store(@out + 112);
    }

    // The few-rows Gram's 4 x 4 tile of dot products without 512-bit vectors: two 2 x 4 halves in 8 Vector256 accumulators
    // each (16 would spill), over the block's first vk columns (a multiple of 16); own[i + x, j + y] += the dots.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void NarrowDotTile(float* a, long lda, long vk, int i, int j, double[] own, int m)
    {
        float* b0 = a + j * lda, b1 = b0 + lda, b2 = b1 + lda, b3 = b2 + lda;
        for (int x = 0; x < DotRows; x += 2)
        {
            float* a0 = a + (i + x) * lda, a1 = a0 + lda;
            Vector256<float> c00 = default, c01 = default, c02 = default, c03 = default, c10 = default, c11 = default, c12 = default, c13 = default;
            for (long p = 0; p < vk; p += 8)
            {
                var y0 = Vector256.Load(b0 + p); var y1 = Vector256.Load(b1 + p); var y2 = Vector256.Load(b2 + p); var y3 = Vector256.Load(b3 + p);
                var v = Vector256.Load(a0 + p);
                c00 = Vector256.FusedMultiplyAdd(v, y0, c00); c01 = Vector256.FusedMultiplyAdd(v, y1, c01);
                c02 = Vector256.FusedMultiplyAdd(v, y2, c02); c03 = Vector256.FusedMultiplyAdd(v, y3, c03);
                v = Vector256.Load(a1 + p);
                c10 = Vector256.FusedMultiplyAdd(v, y0, c10); c11 = Vector256.FusedMultiplyAdd(v, y1, c11);
                c12 = Vector256.FusedMultiplyAdd(v, y2, c12); c13 = Vector256.FusedMultiplyAdd(v, y3, c13);
            }
            int r0 = (i + x) * m + j, r1 = r0 + m;
            own[r0] += Vector256.Sum(c00); own[r0 + 1] += Vector256.Sum(c01); own[r0 + 2] += Vector256.Sum(c02); own[r0 + 3] += Vector256.Sum(c03);
            own[r1] += Vector256.Sum(c10); own[r1 + 1] += Vector256.Sum(c11); own[r1 + 2] += Vector256.Sum(c12); own[r1 + 3] += Vector256.Sum(c13);
        }
    }
}
