using NtkDynamics.Nn;
using NtkDynamics.Tensors;

namespace NtkDynamics.Tests.Nn;

public class LayerGradientTests
{
    private static Tensor Random(ulong seed, params int[] shape)
    {
        var t = new Tensor(shape);
        new Rng(seed).FillNormal(t.Data, 1);
        return t;
    }

    // Runs forward + backward of a layer with L = Σ r ⊙ y and checks input and parameter gradients by finite differences.
    private static void CheckLayer(Layer layer, Tensor x, ulong seed, double eps = 1e-2)
    {
        var y = layer.Forward(x);
        var r = Random(seed + 1, y.Shape);
        foreach (var p in layer.Parameters) p.Grad.Fill(0);
        var dx = layer.Backward(r).Clone();
        double Loss() => GradientCheck.Loss(layer.Forward, x, r.Data);
        GradientCheck.Check($"{layer.Describe()} input", Loss, x.Data, dx.Data, seed + 2, eps);
        foreach (var p in layer.Parameters)
            GradientCheck.Check($"{layer.Describe()} {p.Name}", Loss, p.Value.Data, p.Grad.Data.ToArray(), seed + 3, eps);
    }

    private static Conv2d Conv(int cin, int cout, int k, int pad, Parametrisation par, ulong seed)
    {
        var c = new Conv2d(cin, cout, k, pad, par.Scales(cin * k * k, false));
        par.Initialise(c.Weight.Value, c.Bias.Value, cin * k * k, false, new Rng(seed));
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
    }

    [Fact]
    public void Conv2dMatchesDirectConvolution()
    {
        var c = Conv(2, 3, 3, 1, new StandardParametrisation(StandardInit.PyTorchDefault), 5);
        var x = Random(14, 2, 2, 5, 4);
        var y = c.Forward(x);
        var w = c.Weight.Value.Data;
        for (int n = 0; n < 2; n++)
            for (int o = 0; o < 3; o++)
                for (int i = 0; i < 5; i++)
                    for (int j = 0; j < 4; j++)
                    {
                        double s = c.Bias.Value.Data[o], sumAbs = Math.Abs(s);
                        for (int ci = 0; ci < 2; ci++)
                            for (int kh = 0; kh < 3; kh++)
                                for (int kw = 0; kw < 3; kw++)
                                {
                                    int ih = i + kh - 1, iw = j + kw - 1;
                                    if (ih < 0 || ih >= 5 || iw < 0 || iw >= 4) continue;
                                    double t = w[((o * 2 + ci) * 3 + kh) * 3 + kw] * x.Data[((n * 2 + ci) * 5 + ih) * 4 + iw];
                                    s += t; sumAbs += Math.Abs(t);
                                }
                        Close.Sum(s, y.Data[((n * 3 + o) * 5 + i) * 4 + j], 2 * 9 + 1, sumAbs, $"y[{n},{o},{i},{j}]");
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
        var y = c.Forward(x).Clone();
        var r = Random(16, y.Shape);
        c.Weight.Grad.Fill(0);
        var dx = c.Backward(r).Clone();
        var dw = c.Weight.Grad.Data.ToArray();

        var a = Conv(3, 5, 3, 1, new NtkParametrisation(), 6);
        Abs(a.Weight.Value.Data); Abs(a.Bias.Value.Data);
        var yAbs = a.Forward(Abs(x.Clone())).Clone();
        a.Weight.Grad.Fill(0);
        var dxAbs = a.Backward(Abs(r.Clone())).Clone();
        var dwAbs = a.Weight.Grad.Data;

        c.Weight.Grad.Fill(0);
        for (int s = 0; s < 40; s++)
        {
            var xs = new Tensor(x.Rows(s, 1).ToArray(), 1, 3, 16, 16);
            var ys = c.Forward(xs);
            for (int i = 0; i < ys.Length; i++) Close.Sum(y.Rows(s, 1)[i], ys.Data[i], 3 * 9 + 1, yAbs.Rows(s, 1)[i], $"y[{s}][{i}]");
            var dxs = c.Backward(new Tensor(r.Rows(s, 1).ToArray(), 1, 5, 16, 16));
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
        var l = new Linear(7, 4, p.Scales(7, true));
        p.Initialise(l.Weight.Value, l.Bias.Value, 7, true, new Rng(7));
        CheckLayer(l, Random(17, 5, 7), 60);
    }

    [Fact]
    public void ReluMaxPoolFlattenGradientsMatchFiniteDifferences()
    {
        CheckLayer(new Relu(), Random(18, 3, 2, 4, 4), 70, 1e-3);
        CheckLayer(new MaxPool2d(), Random(19, 2, 3, 5, 7), 80, 1e-3);
        CheckLayer(new Flatten(), Random(20, 2, 3, 2, 2), 90);
    }

    [Fact]
    public void MaxPoolFloorsOddSizesAsPyTorch()
    {
        var pool = new MaxPool2d();
        var x = new Tensor(Enumerable.Range(0, 9).Select(i => (float)i).ToArray(), 1, 1, 3, 3);
        var y = pool.Forward(x);
        Assert.Equal(new[] { 1, 1, 1, 1 }, y.Shape);
        Assert.Equal(4f, y.Data[0]);
    }

    [Fact]
    public void WrongShapeNamesLayerExpectedAndGiven()
    {
        var c = new Conv2d(3, 8, 3, 1, new LayerScales(1, 1, 1)) { Name = "conv1" };
        var e = Assert.Throws<ArgumentException>(() => c.Forward(new Tensor(2, 1, 8, 8)));
        Assert.Contains("conv1", e.Message);
        Assert.Contains("[N, 3, H, W]", e.Message);
        Assert.Contains("[2, 1, 8, 8]", e.Message);
        var l = new Linear(10, 2, new LayerScales(1, 1, 1)) { Name = "fc" };
        e = Assert.Throws<ArgumentException>(() => l.Forward(new Tensor(4, 9)));
        Assert.Contains("'fc'", e.Message);
        Assert.Contains("[N, 10]", e.Message);
        Assert.Contains("[4, 9]", e.Message);
    }
}
