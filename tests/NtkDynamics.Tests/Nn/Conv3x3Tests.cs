using NtkDynamics.Nn;
using NtkDynamics.Nn.Layers;
using NtkDynamics.Tensors;
using static NtkDynamics.Tests.Nn.LayerGradientTests;

namespace NtkDynamics.Tests.Nn;

public class Conv3x3Tests
{
    // Conv2d's direct 3x3 path (padding 1, stride 1 or 2) against float64 sums: y, dx, dW and db, each within the bound for
    // its terms. Output channels 5, 6, 7, 20 leave 1-4 rows for the last register tile and 1-3 for the weight gradient's last
    // triple; 9x7 and 10x12 planes give wide outputs (Ho·Wq) that are not multiples of the 80-position tile or of 16, 8x6
    // and, at stride 2, 16x16 (8 x 9) less than one tile; stride 2 on odd and even sizes, its input gradient by phases
    // (32x32, 31x29) and by col2im (16x16, 17x15); 24 samples of 20+20 channels at
    // 32x32 and 40 of 20+40 at stride 2 run the backward pass in two chunks; with and without bias; a cotangent of twice the
    // batch (the input gradient alone). Without 512-bit vectors (DOTNET_EnableAVX512=0 or an AVX2 CPU) the layer
    // takes im2col + GEMM instead, held to the same sums.
    [Theory]
    [InlineData(3, 5, 9, 7, 3, true)]
    [InlineData(7, 6, 10, 12, 2, false)]
    [InlineData(2, 7, 16, 16, 2, true)]
    [InlineData(20, 20, 32, 32, 24, true)]
    [InlineData(3, 6, 8, 6, 2, true)]
    [InlineData(3, 5, 16, 16, 3, true, 2)]
    [InlineData(4, 7, 17, 15, 2, false, 2)]
    [InlineData(20, 40, 32, 32, 40, true, 2)]
    [InlineData(3, 4, 31, 29, 2, true, 2)]
    public void DirectPathMatchesFloat64Sums(int cin, int cout, int h, int w, int n, bool bias, int stride = 1)
    {
        var c = new Conv2d(cin, cout, 3, 1, stride, bias);
        c.Initialise(Parametrisation.Parse("ntk"), false, new Rng(3));
        Assert.Equal(System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated, c.DirectLayout(h, w) is not null); // else the same sums by im2col
        var x = Random(31, n, cin, h, w);
        var (state, y) = Run(c, Mode.Train, x);
        var dy = Random(32, y.Shape);
        foreach (var p in c.Parameters) p.Grad.Fill(0.5f);
        var dx = c.Backward(state, dy, Gradients.Own, true)!;
        double sw = c.Scales.WeightMultiplier, sb = c.Scales.BiasMultiplier;
        float[] wt = c.Weight.Value.Data, xd = x.Data, g = dy.Data;
        var yExact = new double[y.Length]; var yAbs = new double[y.Length];
        var dxExact = new double[x.Length]; var dxAbs = new double[x.Length];
        var dwExact = new double[wt.Length]; var dwAbs = new double[wt.Length];
        int ho = (h - 1) / stride + 1, wo = (w - 1) / stride + 1;
        for (int s = 0; s < n; s++)
            for (int o = 0; o < cout; o++)
                for (int i = 0; i < ho; i++)
                    for (int j = 0; j < wo; j++)
                    {
                        int at = ((s * cout + o) * ho + i) * wo + j;
                        if (bias) { yExact[at] = sb * c.Bias!.Value.Data[o]; yAbs[at] = Math.Abs(yExact[at]); }
                        for (int ci = 0; ci < cin; ci++)
                            for (int a = 0; a < 3; a++)
                                for (int b = 0; b < 3; b++)
                                {
                                    int ih = i * stride + a - 1, iw = j * stride + b - 1;
                                    if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;
                                    int xi = ((s * cin + ci) * h + ih) * w + iw, wi = (o * cin + ci) * 9 + a * 3 + b;
                                    double t = sw * wt[wi] * xd[xi];
                                    yExact[at] += t; yAbs[at] += Math.Abs(t);
                                    double u = sw * wt[wi] * g[at];
                                    dxExact[xi] += u; dxAbs[xi] += Math.Abs(u);
                                    double v = sw * g[at] * xd[xi];
                                    dwExact[wi] += v; dwAbs[wi] += Math.Abs(v);
                                }
                    }
        for (int i = 0; i < y.Length; i++) Close.Sum(yExact[i], y.Data[i], cin * 9 + 1, yAbs[i], $"y[{i}]");
        for (int i = 0; i < x.Length; i++) Close.Sum(dxExact[i], dx.Data[i], cout * 9, dxAbs[i], $"dx[{i}]");
        // Without parameter gradients the cotangent may hold the batch twice: each half's dx is that one, to the bit where
        // our stride-1 kernel takes dx a sample at a time; elsewhere (stride 2's phases or col2im, im2col without AVX-512:
        // col2im's GEMMs see the doubled batch in other chunks, their bits depend on OpenBLAS's kernel) each half is held to
        // the bound again.
        var dxOnce = dx.Data.ToArray();
        var twice = new Tensor([2 * n, cout, ho, wo]);
        g.CopyTo(twice.Data, 0); g.CopyTo(twice.Data, g.Length);
        var dx2 = c.Backward(state, twice, null, true)!.Data;
        if (stride == 1 && c.DirectLayout(h, w) is not null) Assert.Equal([.. dxOnce, .. dxOnce], dx2);
        else for (int i = 0; i < dx2.Length; i++) Close.Sum(dxExact[i % x.Length], dx2[i], cout * 9, dxAbs[i % x.Length], $"dx2[{i}]");
        // The gradients started at 0.5: one more term.
        for (int i = 0; i < wt.Length; i++) Close.Sum(0.5 + dwExact[i], c.Weight.Grad.Data[i], n * ho * wo + 1, 0.5 + dwAbs[i], $"dW[{i}]");
        if (!bias) return;
        for (int o = 0; o < cout; o++)
        {
            double db = 0, dbAbs = 0;
            for (int s = 0; s < n; s++)
                for (int i = 0; i < ho * wo; i++) { double t = sb * g[(s * cout + o) * ho * wo + i]; db += t; dbAbs += Math.Abs(t); }
            Close.Sum(0.5 + db, c.Bias!.Grad.Data[o], n * ho * wo + 1, 0.5 + dbAbs, $"db[{o}]");
        }
    }
}
