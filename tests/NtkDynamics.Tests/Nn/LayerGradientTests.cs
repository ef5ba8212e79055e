using NtkDynamics.Nn;
using NtkDynamics.Nn.Layers;
using NtkDynamics.Tensors;

namespace NtkDynamics.Tests.Nn;

public class LayerGradientTests
{
    internal static Tensor Random(ulong seed, params int[] shape)
    {
        var t = new Tensor(shape);
        new Rng(seed).FillNormal(t.Data, 1);
        return t;
    }

    /// <summary>Runs <paramref name="layer"/> alone on <paramref name="inputs"/> in <paramref name="mode"/>; returns its state and output.</summary>
    internal static (NodeState State, Tensor Y) Run(Layer layer, Mode mode, params Tensor[] inputs)
    {
        var state = NodeState.For(layer.CreateState(), mode, inputs);
        state.Output = layer.Forward(state);
        return (state, state.Output);
    }

    // Forward + backward of a layer with L = Σ r ⊙ y in `mode`; input (unless not `inputs`) and parameter gradients against
    // finite differences. Returns the input gradients. `beforeForward` runs before every forward (a random layer's reseed).
    internal static Tensor[] CheckLayer(Layer layer, ulong seed, Mode mode, double eps, params Tensor[] inputs) => CheckLayer(layer, seed, mode, eps, true, inputs);

    internal static Tensor[] CheckLayer(Layer layer, ulong seed, Mode mode, double eps, bool checkInputs, Tensor[] inputs, Action? beforeForward = null)
    {
        beforeForward?.Invoke();
        var (state, y) = Run(layer, mode, inputs);
        var r = Random(seed + 1, y.Shape);
        foreach (var p in layer.Parameters) p.Grad.Fill(0);
        var dx = layer.Backward(state, r, Gradients.Own).Select(t => t!.Clone()).ToArray();
        double Loss()
        {
            beforeForward?.Invoke();
            return GradientCheck.Loss(x => Run(layer, mode, inputs).Y, inputs[0], r.Data);
        }
        for (int i = 0; i < inputs.Length && checkInputs; i++)
            GradientCheck.Check($"{layer.Describe()} {mode} input {i}", Loss, inputs[i].Data, dx[i].Data, seed + 2 + (ulong)i, eps);
        foreach (var p in layer.Parameters)
            GradientCheck.Check($"{layer.Describe()} {mode} {p.Name}", Loss, p.Value.Data, p.Grad.Data.ToArray(), seed + 7, eps);
        return dx;
    }

    private static void CheckLayer(Layer layer, Tensor x, ulong seed, double eps = 1e-2) => CheckLayer(layer, seed, Mode.Train, eps, x);

    internal static Conv2d Conv(int cin, int cout, int k, int pad, Parametrisation par, ulong seed, int stride = 1, bool bias = true)
    {
        var c = new Conv2d(cin, cout, k, pad, stride, bias);
        c.Initialise(par, false, new Rng(seed));
        return c;
    }

    public static IEnumerable<object[]> Parametrisations() => [["standard"], ["ntk"], ["kaiming"]];

    [Theory]
    [MemberData(nameof(Parametrisations))]
    public void Conv2dGradientsMatchFiniteDifferences(string par)
    {
        var p = Parametrisation.Parse(par);
        CheckLayer(Conv(3, 4, 3, 1, p, 1), Random(10, 2, 3, 6, 5), 20);
        CheckLayer(Conv(2, 3, 3, 0, p, 2), Random(11, 3, 2, 5, 5), 30);
        CheckLayer(Conv(2, 3, 1, 0, p, 3), Random(12, 2, 2, 4, 4), 40);
        CheckLayer(Conv(1, 2, 5, 2, p, 4), Random(13, 1, 1, 3, 7), 50);
        CheckLayer(Conv(3, 4, 3, 1, p, 8), Random(17, 2, 3, 4, 4), 58); // 4x4 planes: patch rows permuted in one vector
        // Strides, no bias, a rectangular kernel with its own stride and padding per axis.
        CheckLayer(Conv(3, 4, 3, 1, p, 5, stride: 2, bias: false), Random(14, 2, 3, 7, 6), 55);
        CheckLayer(Conv(2, 3, 1, 0, p, 6, stride: 2, bias: false), Random(15, 2, 2, 5, 5), 56);
        var rect = new Conv2d(2, 3, (3, 2), (2, 1), (1, 0));
        rect.Initialise(p, false, new Rng(7));
        CheckLayer(rect, Random(16, 2, 2, 6, 5), 57);
    }

    // Direct convolution in float64 against ours, for same padding, stride 2 (odd and even sizes) and a rectangular kernel.
    [Theory]
    [InlineData(3, 3, 1, 1, 1, 1, 5, 4)]
    [InlineData(3, 3, 2, 2, 1, 1, 7, 6)]
    [InlineData(1, 1, 2, 2, 0, 0, 5, 6)]
    [InlineData(3, 2, 2, 1, 1, 0, 6, 5)]
    [InlineData(5, 5, 3, 3, 2, 2, 9, 8)]
    [InlineData(3, 3, 2, 2, 1, 1, 5, 37)] // 19 outputs a row: two blocks of 8 gathered with AVX2, then 3 one at a time
    [InlineData(3, 3, 1, 1, 1, 1, 4, 4)] // 4x4 planes, same padding: patch rows are lane permutations of one vector
    [InlineData(5, 5, 1, 1, 2, 2, 4, 4)]
    public void Conv2dMatchesDirectConvolution(int kh, int kw, int sh, int sw, int ph, int pw, int h, int w)
    {
        var c = new Conv2d(2, 3, (kh, kw), (sh, sw), (ph, pw));
        c.Initialise(new StandardParametrisation(StandardInit.PyTorchDefault), false, new Rng(5));
        var x = Random(14, 2, 2, h, w);
        var y = Run(c, Mode.Train, x).Y;
        int ho = (h + 2 * ph - kh) / sh + 1, wo = (w + 2 * pw - kw) / sw + 1;
        Assert.Equal(new[] { 2, 3, ho, wo }, y.Shape);
        var wt = c.Weight.Value.Data;
        for (int n = 0; n < 2; n++)
            for (int o = 0; o < 3; o++)
                for (int i = 0; i < ho; i++)
                    for (int j = 0; j < wo; j++)
                    {
                        double s = c.Bias!.Value.Data[o], sumAbs = Math.Abs(s);
                        for (int ci = 0; ci < 2; ci++)
                            for (int a = 0; a < kh; a++)
                                for (int b = 0; b < kw; b++)
                                {
                                    int ih = i * sh + a - ph, iw = j * sw + b - pw;
                                    if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;
                                    double t = wt[((o * 2 + ci) * kh + a) * kw + b] * x.Data[((n * 2 + ci) * h + ih) * w + iw];
                                    s += t; sumAbs += Math.Abs(t);
                                }
                        Close.Sum(s, y.Data[((n * 3 + o) * ho + i) * wo + j], 2 * kh * kw + 1, sumAbs, $"y[{n},{o},{i},{j}]");
                    }
    }

    // The input gradient against its direct float64 sum dx[n, ci, ih, iw] = Σ s_w W[co, ci, a, b] dy[n, co, oh, ow] over
    // ih = oh·sh + a - ph, iw = ow·sw + b - pw, with and without weight gradients: stride 1 with Cin >= Cout >= 64 and padding
    // below the kernel (the flipped-kernel convolution; square, rectangular, padding 0 up to k - 1, 40 samples in chunks), and
    // the col2im path (Cout > Cin, fewer channels, padding >= kernel, stride 2 with rows narrow and wide).
    [Theory]
    [InlineData(66, 64, 3, 3, 1, 1, 1, 1, 6, 5, 2)]
    [InlineData(65, 64, 3, 2, 1, 1, 0, 1, 6, 5, 2)]
    [InlineData(64, 64, 1, 1, 1, 1, 0, 0, 4, 4, 2)]
    [InlineData(64, 64, 2, 3, 1, 1, 1, 2, 5, 6, 2)]
    [InlineData(64, 64, 3, 3, 1, 1, 1, 1, 16, 16, 40)]
    [InlineData(64, 64, 3, 3, 1, 1, 1, 1, 4, 4, 3)]
    [InlineData(2, 3, 3, 3, 1, 1, 1, 1, 5, 5, 2)]
    [InlineData(5, 3, 3, 3, 1, 1, 1, 1, 6, 5, 2)]
    [InlineData(3, 2, 1, 1, 1, 1, 1, 1, 4, 4, 2)]
    [InlineData(3, 2, 3, 3, 2, 2, 1, 1, 7, 6, 2)]
    [InlineData(3, 2, 3, 3, 2, 2, 1, 1, 5, 37, 2)] // wide rows: stride-2 adds 8 at a time
    [InlineData(3, 2, 1, 1, 2, 2, 0, 0, 4, 36, 2)]
    public void Conv2dInputGradientMatchesDirectSum(int cin, int cout, int kh, int kw, int sh, int sw, int ph, int pw, int h, int w, int n)
    {
        var c = new Conv2d(cin, cout, (kh, kw), (sh, sw), (ph, pw), bias: false);
        c.Initialise(new NtkParametrisation(), false, new Rng(8));
        Assert.True(c.ChunkSize(n, h * w) < n || n < 40);
        var x = Random(24, n, cin, h, w);
        var (state, y) = Run(c, Mode.Eval, x);
        int ho = y.Shape[2], wo = y.Shape[3];
        var dy = Random(25, y.Shape);
        double sw8 = c.Scales.WeightMultiplier;
        var wt = c.Weight.Value.Data;
        var exact = new double[x.Length];
        var sumAbs = new double[x.Length];
        for (int s = 0; s < n; s++)
            for (int o = 0; o < cout; o++)
                for (int i = 0; i < ho; i++)
                    for (int j = 0; j < wo; j++)
                        for (int ci = 0; ci < cin; ci++)
                            for (int a = 0; a < kh; a++)
                                for (int b = 0; b < kw; b++)
                                {
                                    int ih = i * sh + a - ph, iw = j * sw + b - pw;
                                    if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;
                                    int at = ((s * cin + ci) * h + ih) * w + iw;
                                    double t = sw8 * wt[((o * cin + ci) * kh + a) * kw + b] * dy.Data[((s * cout + o) * ho + i) * wo + j];
                                    exact[at] += t; sumAbs[at] += Math.Abs(t);
                                }
        foreach (var gradients in new[] { null, Gradients.Own })
        {
            var dx = c.Backward(state, dy, gradients, true)!;
            for (int i = 0; i < dx.Length; i++) Close.Sum(exact[i], dx.Data[i], cout * kh * kw, sumAbs[i], $"{c.Describe()} dx[{i}]");
        }
    }

    [Fact]
    public void Conv2dChunksGiveTheSameResultAsOneSampleAtATime()
    {
        // 40 samples of 16x16 (P = 256) run in chunks of 32: compare with running each sample alone. Each output is a
        // sum whose Σ|terms| is the same layer run on absolute values (|W|, |b|, |x|, |r|).
        var c = Conv(3, 5, 3, 1, new NtkParametrisation(), 6);
        var x = Random(15, 40, 3, 16, 16);
        Assert.True(c.ChunkSize(40, 256) < 40);
        var (state, y0) = Run(c, Mode.Train, x);
        var y = y0.Clone();
        var r = Random(16, y.Shape);
        c.Weight.Grad.Fill(0);
        var dx = c.Backward(state, r, Gradients.Own)[0]!.Clone();
        var dw = c.Weight.Grad.Data.ToArray();

        var a = Conv(3, 5, 3, 1, new NtkParametrisation(), 6);
        Abs(a.Weight.Value.Data); Abs(a.Bias!.Value.Data);
        var (absState, yAbs0) = Run(a, Mode.Train, Abs(x.Clone()));
        var yAbs = yAbs0.Clone();
        a.Weight.Grad.Fill(0);
        var dxAbs = a.Backward(absState, Abs(r.Clone()), Gradients.Own)[0]!.Clone();
        var dwAbs = a.Weight.Grad.Data;

        c.Weight.Grad.Fill(0);
        for (int s = 0; s < 40; s++)
        {
            var xs = new Tensor(x.Rows(s, 1).ToArray(), 1, 3, 16, 16);
            var (one, ys) = Run(c, Mode.Train, xs);
            for (int i = 0; i < ys.Length; i++) Close.Sum(y.Rows(s, 1)[i], ys.Data[i], 3 * 9 + 1, yAbs.Rows(s, 1)[i], $"y[{s}][{i}]");
            var dxs = c.Backward(one, new Tensor(r.Rows(s, 1).ToArray(), 1, 5, 16, 16), Gradients.Own)[0]!;
            for (int i = 0; i < dxs.Length; i++) Close.Sum(dx.Rows(s, 1)[i], dxs.Data[i], 5 * 9, dxAbs.Rows(s, 1)[i], $"dx[{s}][{i}]");
        }
        // Accumulated over 40 backward calls: 40 partial sums of 256 terms each, then 40 additions.
        for (int i = 0; i < dw.Length; i++) Close.Sum(dw[i], c.Weight.Grad.Data[i], 40 * 256 + 40, dwAbs[i], $"dW[{i}]");
    }

    private static Tensor Abs(Tensor t) { Abs(t.Data); return t; }

    private static void Abs(float[] v)
    {
        for (int i = 0; i < v.Length; i++) v[i] = Math.Abs(v[i]);
    }

    [Theory]
    [MemberData(nameof(Parametrisations))]
    public void LinearGradientsMatchFiniteDifferences(string par)
    {
        var p = Parametrisation.Parse(par);
        foreach (bool bias in new[] { true, false })
        {
            var l = new Linear(7, 4, bias);
            l.Initialise(p, true, new Rng(7));
            Assert.Equal(bias ? 2 : 1, l.Parameters.Count);
            CheckLayer(l, Random(17, 5, 7), 60);
        }
    }

    [Fact]
    public void ReluMaxPoolFlattenAddAndAveragePoolGradientsMatchFiniteDifferences()
    {
        CheckLayer(new Relu(), Random(18, 3, 2, 4, 4), 70, 1e-3);
        CheckLayer(new MaxPool2d(), Random(19, 2, 3, 5, 7), 80, 1e-3);
        CheckLayer(new MaxPool2d(3, 2, 1), Random(21, 2, 3, 7, 6), 81, 1e-3); // overlapping, padded windows
        CheckLayer(new MaxPool2d((2, 3), (1, 2), (0, 1)), Random(22, 1, 2, 5, 7), 82, 1e-3);
        CheckLayer(new Flatten(), Random(20, 2, 3, 2, 2), 90);
        CheckLayer(new GlobalAvgPool2d(), Random(23, 2, 3, 4, 5), 91);
        CheckLayer(new Add(), 92, Mode.Train, 1e-2, Random(24, 2, 3, 4), Random(25, 2, 3, 4), Random(26, 2, 3, 4));
    }

    public static IEnumerable<object[]> Modes() => [[Mode.Train], [Mode.Eval], [Mode.FrozenBatchStatistics]];

    private static IEnumerable<(BatchNorm Bn, Tensor X)> BatchNorms()
    {
        foreach (var (bn, x) in new[] { (new BatchNorm(3), Random(30, 4, 3, 3, 2)), (new BatchNorm(4, 1), Random(31, 5, 4)), (new BatchNorm(2, 1), Random(32, 3, 2, 5)) })
        {
            new Rng(33).FillNormal(bn.Weight.Value.Data, 1);
            new Rng(34).FillNormal(bn.Bias.Value.Data, 1);
            new Rng(35).FillNormal(bn.RunningMean.Value.Data, 0.5);
            new Rng(36).FillUniform(bn.RunningVar.Value.Data, 0.5, 2);
            yield return (bn, x);
        }
    }

    // Frozen batch statistics are constants of the backward, so there the input gradient is not the finite difference (which
    // moves the statistics): it is checked against evaluation mode with the batch's statistics as the running ones.
    [Theory]
    [MemberData(nameof(Modes))]
    public void BatchNormGradientsMatchFiniteDifferencesInEveryMode(Mode mode)
    {
        foreach (var (bn, x) in BatchNorms())
        {
            var dx = CheckLayer(bn, 100, mode, 1e-2, mode != Mode.FrozenBatchStatistics, [x]);
            if (mode != Mode.FrozenBatchStatistics) continue;
            var (frozen, y) = Run(bn, mode, x);
            var mean = ((BatchNorm.State)frozen).Mean;
            var inv = ((BatchNorm.State)frozen).InvStd;
            mean.CopyTo(bn.RunningMean.Value.Data, 0);
            for (int c = 0; c < bn.Channels; c++) bn.RunningVar.Value.Data[c] = (float)(1 / ((double)inv[c] * inv[c]) - bn.Epsilon);
            var (eval, ye) = Run(bn, Mode.Eval, x);
            for (int i = 0; i < y.Length; i++) Assert.Equal(y.Data[i], ye.Data[i], 1e-4);
            var de = bn.Backward(eval, Random(101, y.Shape), null)[0]!;
            for (int i = 0; i < de.Length; i++) Assert.Equal(dx[0].Data[i], de.Data[i], 1e-4 * (1 + Math.Abs(de.Data[i])));
        }
    }

    // PyTorch's running statistics: momentum 0.1, unbiased variance; batches counted; evaluation leaves them alone.
    [Fact]
    public void BatchNormUpdatesRunningStatisticsOnlyInTraining()
    {
        var bn = new BatchNorm(2);
        var x = Random(40, 3, 2, 2, 2);
        Run(bn, Mode.Eval, x);
        Run(bn, Mode.FrozenBatchStatistics, x);
        float[] untouched = [.. bn.RunningMean.Value.Data, .. bn.RunningVar.Value.Data, .. bn.BatchesTracked.Value.Data];
        Assert.Equal(new[] { 0f, 0f, 1f, 1f, 0f }, untouched);
        Run(bn, Mode.Train, x);
        Run(bn, Mode.Train, x);
        for (int c = 0; c < 2; c++)
        {
            var v = Enumerable.Range(0, 3).SelectMany(i => x.Data.AsSpan((i * 2 + c) * 4, 4).ToArray()).Select(f => (double)f).ToArray();
            double mean = v.Average(), unbiased = v.Sum(e => (e - mean) * (e - mean)) / (v.Length - 1);
            Assert.Equal(0.19 * mean, bn.RunningMean.Value.Data[c], 1e-6);
            Assert.Equal(0.81 + 0.19 * unbiased, bn.RunningVar.Value.Data[c], 1e-5);
        }
        Assert.Equal(2f, bn.BatchesTracked.Value.Data[0]);
        var one = new Tensor(1, 2, 1, 1);
        Assert.Contains("more than one value per channel", Assert.Throws<ArgumentException>(() => Run(bn, Mode.Train, one)).Message);
    }

    [Fact]
    public void MaxPoolFloorsOddSizesAsPyTorch()
    {
        var x = new Tensor(Enumerable.Range(0, 9).Select(i => (float)i).ToArray(), 1, 1, 3, 3);
        var y = Run(new MaxPool2d(), Mode.Train, x).Y;
        Assert.Equal(new[] { 1, 1, 1, 1 }, y.Shape);
        Assert.Equal(4f, y.Data[0]);
        // 3x3 windows, stride 2, padding 1 (ResNet's stem pool): 2x2 outputs, each the max of its window's pixels inside.
        var z = Run(new MaxPool2d(3, 2, 1), Mode.Train, x).Y;
        Assert.Equal(new[] { 1, 1, 2, 2 }, z.Shape);
        Assert.Equal(new[] { 4f, 5f, 7f, 8f }, z.Data);
    }

    [Fact]
    public void WrongShapeNamesLayerExpectedAndGiven()
    {
        var c = new Conv2d(3, 8, 3, 1) { Name = "conv1" };
        var e = Assert.Throws<ArgumentException>(() => Run(c, Mode.Train, new Tensor(2, 1, 8, 8)));
        Assert.Contains("conv1", e.Message);
        Assert.Contains("[N, 3, H, W]", e.Message);
        Assert.Contains("[2, 1, 8, 8]", e.Message);
        var l = new Linear(10, 2) { Name = "fc" };
        e = Assert.Throws<ArgumentException>(() => Run(l, Mode.Train, new Tensor(4, 9)));
        Assert.Contains("'fc'", e.Message);
        Assert.Contains("[N, 10]", e.Message);
        Assert.Contains("[4, 9]", e.Message);
    }
}
