using System.Runtime.Intrinsics;
using NtkDynamics.Tensors;

namespace NtkDynamics.Nn.Layers;

/// <summary>
/// The Gram of a same-padded Conv2d's patches over all samples, from the Gram of its input pixels: a patch is k x k pixels
/// (zero in the padding), so ⟨patch(i, p), patch(j, p')⟩ = Σ_taps ⟨pixel(i, p + tap), pixel(j, p' + tap)⟩ over the taps where
/// both pixels are inside the image. The pixel Gram costs (nHW)²·Cin, k² times less than the patch rows' (nP)²·Cin·k².
/// </summary>
internal static class PixelPatchGram
{
    /// <summary>Whether the output plane is the input plane (stride 1, padding (k - 1) / 2), as this needs.</summary>
    public static bool Supports(Conv2d conv) => conv.IsSquareUnitStride && conv.Window.KernelH % 2 == 1 && conv.Window.PadH == conv.Window.KernelH / 2;

    // x (n, Cin, H, W) -> s (nP, nP), P = H·W, row i·P + y·W + x; float32. Only the sample blocks (i, j ≥ i) unless `full`
    // (then the lower ones are their transposes).
    //   pixels (nP, Cin) channels-last; per group of samples, the band of the pixel Gram g = pixels pixelsᵀ on its rows, then
    //   s[r, c] = Σ_tap [both pixels moved by the tap inside their images] g[r + δ, c + δ],   δ = dy·W + dx
    // block by block of samples (i, j), so that the P x P block of g it reads stays in cache: a pixel moved by a tap stays in
    // its own sample's rows or leaves the image (then the mask is zero).
    public static float[] Compute(Conv2d conv, Tensor x, bool full = true)
    {
        int n = x.Shape[0], cin = conv.InChannels, h = x.Shape[2], w = x.Shape[3], pad = conv.Window.PadH, kk = conv.Window.KernelH, p = h * w, np = n * p;
        // Every entry of pixels, s and the part of the band that is read is written below: no need to zero them first.
        var pixels = GC.AllocateUninitializedArray<float>(np * cin);
        float[] xd = x.Data;
        Parallel.For(0, n, TensorMath.Options((long)np * cin), i =>
        {
            for (int ci = 0; ci < cin; ci++)
                for (int e = 0; e < p; e++) pixels[((long)i * p + e) * cin + ci] = xd[((long)i * cin + ci) * p + e];
        });
        var inside = new float[kk * kk * p]; // (taps, P): whether the position moved by the tap is inside the image
        var delta = new int[kk * kk];
        for (int t = 0; t < kk * kk; t++)
        {
            int dy = t / kk - pad, dx = t % kk - pad;
            delta[t] = dy * w + dx;
            for (int e = 0; e < p; e++) inside[t * p + e] = (uint)(e / w + dy) < (uint)h && (uint)(e % w + dx) < (uint)w ? 1f : 0f;
        }
        int margin = pad * (w + 1), group = Math.Clamp(GroupRows / p, 1, n);
        var band = GC.AllocateUninitializedArray<float>(group * p * np + 2 * margin);
        var s = GC.AllocateUninitializedArray<float>(np * np);
        for (int i0 = 0; i0 < n; i0 += group)
        {
            int samples = Math.Min(group, n - i0);
            PixelGramBand(pixels, cin, np, i0 * p, samples * p, margin, band);
            Parallel.For(0, samples * n, TensorMath.Options((long)samples * np * p * kk * kk / 2), ij =>
            {
                int i = i0 + ij / n, j = ij % n;
                if (j >= i) ShiftedSums(band, margin + (i - i0) * p * np, inside, delta, s, i, j, p, np);
            });
        }
        if (full) Parallel.For(0, n * n, TensorMath.Options((long)np * np / 2), ij => MirrorBlock(s, ij / n, ij % n, p, np));
        return s;
    }

    // Rows of the pixel Gram per band: a group of samples.
    private const int GroupRows = 256;

    // band (margin + rows·nP + margin): band[margin + r·nP + c] = pixels_(r0 + r) · pixels_c for the columns c ≥ r0. A tap that
    // keeps a pixel inside its image keeps it inside its sample's rows and columns, so every masked-in read of the blocks
    // (i, j ≥ i) of these rows is in there. Masked-out reads (times 0) go up to the margin further and must still be finite:
    // the margin columns before r0, the first margin columns (where reads past the end of the row above land) and the margins
    // before and after the band are zeros.
    private static void PixelGramBand(float[] pixels, int cin, int np, int r0, int rows, int margin, float[] band)
    {
        band.AsSpan(0, margin).Clear();
        band.AsSpan(margin + rows * np, margin).Clear();
        Blas.Gemm(false, true, rows, np - r0, cin, 1f, pixels.AsSpan(r0 * cin), cin, pixels.AsSpan(r0 * cin), cin, 0f,
            band.AsSpan(margin + r0), np);
        for (int r = 0; r < rows; r++)
        {
            band.AsSpan(margin + r * np, Math.Min(margin, r0)).Clear();
            band.AsSpan(margin + r * np + Math.Max(0, r0 - margin), Math.Min(margin, r0)).Clear();
        }
    }

    // s's block (j, i) = the transpose of block (i, j), for j > i.
    private static void MirrorBlock(float[] s, int i, int j, int p, int np)
    {
        if (j <= i) return;
        for (int e = 0; e < p; e++)
            for (int c = 0; c < p; c++) s[((long)j * p + c) * np + i * p + e] = s[((long)i * p + e) * np + j * p + c];
    }

    // s[(i, e), (j, c)] = Σ_tap inside[tap, e] inside[tap, c] g[(i, e) + δ, (j, c) + δ] for e, c < P: 16 columns at a time.
    // g[(i, 0), 0] is band[at].
    private static unsafe void ShiftedSums(float[] band, int at, float[] inside, int[] delta, float[] s, int i, int j, int p, int np)
    {
        int taps = delta.Length, vectors = p / 16 * 16;
        fixed (float* pg = band, pm = inside, ps = s)
            for (int e = 0; e < p; e++)
            {
                float* out_ = ps + ((long)i * p + e) * np + (long)j * p, g0 = pg + at + (long)e * np + (long)j * p;
                for (int c = 0; c < vectors; c += 16)
                {
                    var acc = Vector512<float>.Zero;
                    for (int t = 0; t < taps; t++)
                        if (pm[t * p + e] != 0)
                            acc = Vector512.FusedMultiplyAdd(Vector512.Load(g0 + (long)delta[t] * np + delta[t] + c), Vector512.Load(pm + t * p + c), acc);
                    acc.Store(out_ + c);
                }
                for (int c = vectors; c < p; c++)
                {
                    float acc = 0;
                    for (int t = 0; t < taps; t++)
                        if (pm[t * p + e] != 0) acc += g0[(long)delta[t] * np + delta[t] + c] * pm[t * p + c];
                    out_[c] = acc;
                }
            }
    }
}
