using NtkDynamics.Nn;
using NtkDynamics.Nn.Layers;
using NtkDynamics.Ntk.Fusions;
using NtkDynamics.Tensors;

namespace NtkDynamics.Tests.Ntk;

/// <summary>The kernels behind pooled cotangents, each against a slow obvious float64 computation.</summary>
public unsafe class PooledKernelTests
{
    private static float[] Random(int length, ulong seed)
    {
        var x = new float[length];
        new Rng(seed).FillNormal(x, 1);
        return x;
    }

    private static double MaxRelative(float[] got, double[] want)
    {
        double scale = want.Max(Math.Abs), worst = 0;
        for (int i = 0; i < want.Length; i++) worst = Math.Max(worst, Math.Abs(got[i] - want[i]) / scale);
        return worst;
    }

    [Theory]
    [InlineData(5, 1, 16, false)]
    [InlineData(5, 7, 48, true)]
    [InlineData(5, 33, 80, false)]
    [InlineData(5, 12, 192, true)]
    [InlineData(1, 9, 112, true)]
    [InlineData(2, 4, 64, false)]
    [InlineData(3, 6, 96, true)]
    [InlineData(4, 3, 16, false)]
    public void GatherGemmEqualsTheSumOfPickedRows(int T, int q, int width, bool accumulate)
    {
        const int pool = 40, lda = 200;
        float[] a = Random(pool * lda, 1), h = Random(T * q, 2), o = Random(T * width, 3);
        var rng = new Rng(4);
        var rows = Enumerable.Range(0, q).Select(_ => rng.NextInt(pool)).ToArray(); // repeats allowed, as pooled sources
        var want = new double[T * width];
        for (int t = 0; t < T; t++)
            for (int c = 0; c < width; c++)
            {
                double s = accumulate ? o[t * width + c] : 0;
                for (int u = 0; u < q; u++) s += (double)h[t * q + u] * a[rows[u] * lda + c];
                want[t * width + c] = s;
            }
        fixed (float* pa = a, ph = h, po = o)
        {
            float** hp = stackalloc float*[T], op = stackalloc float*[T], b = stackalloc float*[q];
            for (int t = 0; t < T; t++) { hp[t] = ph + t * q; op[t] = po + t * width; }
            for (int u = 0; u < q; u++) b[u] = pa + rows[u] * lda;
            GatherGemm.Multiply(T, q, width, hp, b, op, accumulate);
        }
        Assert.True(MaxRelative(o, want) < 1e-5, $"{MaxRelative(o, want)}");
    }

    [Fact]
    public void GatherGemmRefusesAWidthOffTheVectorsAndTooManyRows()
    {
        float** p = stackalloc float*[GatherGemm.T];
        Assert.Throws<ArgumentException>(() => GatherGemm.Multiply(1, 1, 24, p, p, p));
        Assert.Throws<ArgumentOutOfRangeException>(() => GatherGemm.Multiply(6, 1, 16, p, p, p));
    }

    [Theory]
    [InlineData(32, 28800)]
    [InlineData(7, 1041)]
    [InlineData(1, 5)]
    // Packed tiles: rows off the 16-row panels, blocks split over the threads, fewer columns than a block, 320 as the full kernel.
    [InlineData(65, 1037)]
    [InlineData(100, 5)]
    [InlineData(320, 2304)]
    public void SymmetricGramEqualsAAt(int m, int k)
    {
        var a = Random(m * k, 5);
        var c = Enumerable.Range(0, m * m).Select(i => (double)i).ToArray();
        fixed (float* pa = a) SymmetricGram.Add(m, k, pa, k, c);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < m; j++)
            {
                double s = i * m + j;
                for (int p = 0; p < k; p++) s += (double)a[i * k + p] * a[j * k + p];
                Assert.True(Math.Abs(c[i * m + j] - s) < 1e-4 * Math.Max(1, Math.Abs(s)), $"({i},{j}): {c[i * m + j]} vs {s}");
            }
    }

    // A sum over column blocks given one at a time (a Jacobian's chunks), scaled once at the end: both paths.
    [Theory]
    [InlineData(7)]
    [InlineData(100)]
    public void SymmetricGramSumOfBlocksEqualsAAtScaled(int m)
    {
        int[] widths = [700, 33, 1300];
        var blocks = widths.Select((k, b) => Random(m * k, (ulong)(20 + b))).ToArray();
        var c = new double[m * m];
        using (var sum = new SymmetricGram.Sum(m))
        {
            for (int b = 0; b < blocks.Length; b++)
                fixed (float* pa = blocks[b]) sum.Add(widths[b], pa, widths[b]);
            sum.AddTo(c, 0.5);
        }
        for (int i = 0; i < m; i++)
            for (int j = 0; j < m; j++)
            {
                double s = 0;
                for (int b = 0; b < blocks.Length; b++)
                    for (int p = 0; p < widths[b]; p++) s += (double)blocks[b][i * widths[b] + p] * blocks[b][j * widths[b] + p];
                Assert.True(Math.Abs(c[i * m + j] - 0.5 * s) < 1e-4 * Math.Max(1, Math.Abs(s)), $"({i},{j}): {c[i * m + j]} vs {0.5 * s}");
            }
    }

    // The patch Gram from the pixel Gram against the Gram of the patch rows, in float64; kernels 3 and 5, a non-square image,
    // and planes large enough (132 pixels) that the pixel Gram is taken in groups of one sample's rows. Full, or only the sample
    // blocks on and above the diagonal.
    [Theory]
    [InlineData(3, 4, 5, 7)]
    [InlineData(5, 2, 6, 3)]
    [InlineData(3, 4, 12, 11)]
    [InlineData(5, 3, 11, 12)]
    public void PixelPatchGramEqualsThePatchRowsGram(int kernel, int cin, int h, int w)
    {
        var conv = new Conv2d(cin, 2, kernel, kernel / 2);
        int n = 3, p = h * w, np = n * p, k = conv.PatchSize;
        var x = new Tensor([n, cin, h, w]);
        new Rng(10).FillNormal(x.Data, 1);
        var rows = new float[np * k];
        for (int i = 0; i < n; i++) conv.Im2Row(x, i, rows, k, new float[conv.PaddedPlane(x)], (long)i * p * k);
        var want = new double[np * np];
        for (int r = 0; r < np; r++)
            for (int c = 0; c < np; c++)
                for (int e = 0; e < k; e++) want[r * np + c] += (double)rows[r * k + e] * rows[c * k + e];
        Assert.True(PixelPatchGram.Supports(conv));
        Assert.True(MaxRelative(PixelPatchGram.Compute(conv, x), want) < 1e-5);
        var upper = PixelPatchGram.Compute(conv, x, full: false);
        for (int r = 0; r < np; r++)
            for (int c = r / p * p; c < np; c++)
                Assert.True(Math.Abs(upper[r * np + c] - want[r * np + c]) < 1e-5 * Math.Max(1, Math.Abs(want[r * np + c])), $"({r}, {c})");
        Assert.False(PixelPatchGram.Supports(new Conv2d(cin, 2, 3, 0)));
        Assert.False(PixelPatchGram.Supports(new Conv2d(cin, 2, 3, 1, stride: 2)));
    }

    // A Conv2d -> ReLU -> MaxPool2d stack at an odd size (the pool floors), 3 replicas of the batch as the NTK's logit groups:
    // the fusion's pooled cotangents and input gradient against the three layers' own backward.
    [Theory]
    [InlineData(16, 8, 9)]
    [InlineData(32, 5, 8)]
    [InlineData(16, 3, 6)] // 3 x 9 values a row: not a multiple of the gathers' 8
    [InlineData(64, 2048, 6)] // many channels: the kernel rows are taken in several column blocks
    public void PooledInputGradientEqualsTheDenseBackward(int cin, int cout, int size)
    {
        var g0 = new GraphBuilder("test", [cin, size, size]);
        string y = g0.Add("pool", new MaxPool2d(), g0.Add("relu", new Relu(), g0.Add("conv", new Conv2d(cin, cout, 3, 1), g0.Input)));
        var model = g0.Build(g0.Add("fc", new Linear(cout * (size / 2) * (size / 2), 2), g0.Add("flatten", new Flatten(), y)));
        var conv = (Conv2d)model["conv"].Layer;
        conv.Scales = new LayerScales(0.7f, 0.3f, 1f);
        new Rng(6).FillNormal(conv.Weight.Value.Data, 1);
        new Rng(7).FillNormal(conv.Bias!.Value.Data, 1);
        int n = 2, r = 3 * n;
        var x = new Tensor([n, cin, size, size]);
        new Rng(8).FillNormal(x.Data, 1);
        var pass = model.NewPass(Mode.Eval);
        pass.Forward(x);
        var g = new Tensor([r, cout, size / 2, size / 2]);
        new Rng(9).FillNormal(g.Data, 1);

        var fusion = Assert.Single(ConvReluPool.Find(model)).Value;
        Tensor? values = null, gradient = null;
        var pooled = fusion.Cotangents(pass, g, fusion.Sources(pass), ref values, masked: false);
        var fast = PooledInputGradient.Compute(conv, x, pooled, ref gradient).Data.ToArray();
        Tensor Back(string node, Tensor d) => model[node].Layer.Backward(pass[model[node]], d, null)[0]!;
        var slow = Back("conv", Back("relu", Back("pool", g)));
        Assert.True(MaxRelative(fast, Array.ConvertAll(slow.Data, v => (double)v)) < 1e-5);
        // Masked by the input: the same gradient, zero wherever the input (a pool's output below) is not positive.
        var input = x.Data;
        x.Data.AsSpan(0, x.Length / 3).Clear(); // some zeros, as a ReLU's max pool has
        var masked = PooledInputGradient.Compute(conv, x, pooled, ref gradient, maskByInput: true).Data;
        int per = input.Length;
        Assert.Contains(masked, v => v == 0);
        Assert.True(MaxRelative(masked, slow.Data.Select((v, e) => input[e % per] > 0 ? (double)v : 0).ToArray()) < 1e-5);
    }
}
