using NtkDynamics.Nn;
using NtkDynamics.Tensors;

namespace NtkDynamics.Tests.Nn;

public class ModelTests
{
    /// <summary>n random inputs of the model's shape and random labels.</summary>
    internal static (Tensor X, int[] Y) Batch(int[] inputShape, int classes, int n, ulong seed)
    {
        var rng = new Rng(seed);
        var x = new Tensor([n, .. inputShape]);
        rng.FillNormal(x.Data, 1);
        return (x, Enumerable.Range(0, n).Select(_ => rng.NextInt(classes)).ToArray());
    }

    private static (Tensor X, int[] Y) Batch(ModelSpec spec, int n, ulong seed) => Batch(spec.InputShape, spec.Classes, n, seed);

    /// <summary>The mean cross-entropy of a forward pass.</summary>
    internal static double Loss(Model m, Tensor x, int[] y)
    {
        var logits = m.Forward(x);
        return Losses.CrossEntropy(logits, y, new Tensor(logits.Shape));
    }

    public static IEnumerable<object[]> Cases() =>
    [
        ["cnn", "standard"], ["cnn", "ntk"], ["cnn", "kaiming"], ["mlp", "standard"], ["mlp", "ntk"],
    ];

    private static ModelSpec Spec(string kind) =>
        kind == "cnn" ? ModelSpec.Cnn(4, 3, 9, 5) : ModelSpec.Mlp([2, 3, 3], [7, 6], 4);

    // A model of the case, a batch, and d(cross-entropy)/d(logits) after one forward pass, gradients zeroed.
    private static (Model M, Tensor X, int[] Y, Tensor G) Forward(string kind, string par)
    {
        var spec = Spec(kind);
        var m = spec.Build(Parametrisation.Parse(par), 3);
        var (x, y) = Batch(spec, 4, 4);
        var logits = m.Forward(x);
        var g = new Tensor(logits.Shape);
        Losses.CrossEntropy(logits, y, g);
        m.ZeroGrad();
        return (m, x, y, g);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void WholeModelGradientsMatchFiniteDifferences(string kind, string par)
    {
        var (m, x, y, g) = Forward(kind, par);
        var dx = m.Backward(g).Clone();
        GradientCheck.Check("input", () => Loss(m, x, y), x.Data, dx.Data, 5, 2e-3, 1e-2);
        foreach (var p in m.Parameters)
            GradientCheck.Check(p.Name, () => Loss(m, x, y), p.Value.Data, p.Grad.Data.ToArray(), 6, 2e-3, 1e-2);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void BackwardParametersGivesTheSameGradientsAsTheFullBackward(string kind, string par)
    {
        var (m, _, _, g) = Forward(kind, par);
        m.Backward(g);
        var full = m.Parameters.Select(p => p.Grad.Data.ToArray()).ToArray();
        m.ZeroGrad();
        m.BackwardParameters(g);
        for (int i = 0; i < full.Length; i++) Assert.Equal(full[i], m.Parameters[i].Grad.Data);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void BackwardOfAReplicatedBatchEqualsEachReplicaAlone(string kind, string par)
    {
        // Without parameter gradients a layer takes r·N rows against its forward batch N (row j is for sample j mod N).
        var (m, _, _, g) = Forward(kind, par);
        var other = new Tensor(g.Shape);
        new Rng(9).FillNormal(other.Data, 1);
        var stacked = new Tensor([2 * g.Shape[0], .. g.Shape.AsSpan(1)]);
        g.Data.CopyTo(stacked.Data, 0);
        other.Data.CopyTo(stacked.Data, g.Length);
        var both = m.Backward(stacked, accumulate: false).Clone();
        var first = m.Backward(g, accumulate: false).Clone();
        var second = m.Backward(other, accumulate: false).Clone();
        float[] expected = [.. first.Data, .. second.Data];
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], both.Data[i], 1e-5 * (1 + Math.Abs(expected[i])));
        Assert.Throws<ArgumentException>(() => m.Backward(stacked, accumulate: true));
    }

    [Fact]
    public void CnnParameterNamesAndShapesAreThoseOfPyTorch()
    {
        var m = ModelSpec.Cnn(8, 3, 32, 10).Build(Parametrisation.Parse("standard"), 1);
        var names = m.Parameters.Select(p => $"{p.Name}:{Tensor.Format(p.Value.Shape)}");
        Assert.Equal(new[]
        {
            "conv1.weight:[8, 3, 3, 3]", "conv1.bias:[8]", "conv2.weight:[8, 8, 3, 3]", "conv2.bias:[8]",
            "conv3.weight:[8, 8, 3, 3]", "conv3.bias:[8]", "fc.weight:[10, 128]", "fc.bias:[10]",
        }, names);
        var mlp = ModelSpec.Mlp([1, 28, 28], [16, 16], 10).Build(Parametrisation.Parse("ntk"), 1);
        Assert.Equal(new[] { "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias", "fc3.weight", "fc3.bias" }, mlp.Parameters.Select(p => p.Name));
        var inferred = ModelSpec.FromStateDict(m.Parameters.ToDictionary(p => p.Name, p => p.Value.Shape), "test");
        Assert.Equal(("cnn", 8, 10), (inferred.Kind, inferred.Width, inferred.Classes));
        Assert.Equal(new[] { 3, 32, 32 }, inferred.InputShape);
    }

    [Fact]
    public void PyTorchDefaultInitIsUniformWithinOneOverSqrtFanIn()
    {
        var m = ModelSpec.Cnn(16, 3, 8, 10).Build(Parametrisation.Parse("standard"), 1);
        var w = m.Parameters.First(p => p.Name == "conv2.weight").Value.Data;
        double bound = 1 / Math.Sqrt(16 * 9);
        Assert.All(w, v => Assert.InRange(v, -bound, bound));
        double var = w.Select(v => (double)v * v).Average();
        Assert.InRange(var, bound * bound / 3 * 0.9, bound * bound / 3 * 1.1);
        var k = ModelSpec.Cnn(16, 3, 8, 10).Build(Parametrisation.Parse("kaiming"), 1);
        double kvar = k.Parameters.First(p => p.Name == "conv2.weight").Value.Data.Select(v => (double)v * v).Average();
        Assert.InRange(kvar, 2.0 / 144 * 0.9, 2.0 / 144 * 1.1);
        Assert.All(k.Parameters.First(p => p.Name == "conv2.bias").Value.Data, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void SmallCnnFitsSmallBatchToNearZeroLoss()
    {
        var spec = ModelSpec.Cnn(8, 3, 8, 4);
        var m = spec.Build(Parametrisation.Parse("standard"), 11);
        var (x, y) = Batch(spec, 8, 12);
        var opt = new Sgd(m.Parameters, 0.05, momentum: 0.9);
        double first = 0, last = 0;
        for (int step = 0; step < 300; step++)
        {
            var logits = m.Forward(x);
            var g = new Tensor(logits.Shape);
            last = Losses.CrossEntropy(logits, y, g);
            if (step == 0) first = last;
            m.ZeroGrad();
            m.Backward(g);
            opt.Step();
        }
        Assert.True(first > 1.0, $"initial loss {first}");
        Assert.True(last < 0.01, $"loss after 300 steps {last}");
        Assert.Equal(y, Losses.ArgMax(m.Forward(x)));
    }

    private static float[] Train(ulong seed, int steps)
    {
        var spec = ModelSpec.Cnn(6, 3, 8, 3);
        var m = spec.Build(Parametrisation.Parse("standard"), seed);
        var (x, y) = Batch(spec, 6, 13);
        var opt = new Sgd(m.Parameters, 0.1, momentum: 0.9, weightDecay: 1e-3);
        for (int step = 0; step < steps; step++)
        {
            var logits = m.Forward(x);
            var g = new Tensor(logits.Shape);
            Losses.CrossEntropy(logits, y, g);
            m.ZeroGrad();
            m.Backward(g);
            opt.Step();
        }
        return m.Parameters.SelectMany(p => p.Value.Data).ToArray();
    }

    [Fact]
    public void SameSeedGivesBitIdenticalTraining()
    {
        Assert.Equal(Train(21, 10), Train(21, 10));
        Assert.NotEqual(Train(21, 10), Train(22, 10));
    }

    [Fact]
    public void ManagedAndOpenBlasBackendsAgree()
    {
        if (OpenBlas.TryLoad() is not { } open) return;
        float[] a, b;
        using (Blas.Use(ManagedBlas.Instance)) a = Train(31, 5);
        using (Blas.Use(open)) b = Train(31, 5);
        for (int i = 0; i < a.Length; i++) Assert.True(Math.Abs(a[i] - b[i]) < 1e-4 * (1 + Math.Abs(a[i])), $"weight {i}: {a[i]} vs {b[i]}");
    }

    [Fact]
    public void SgdFollowsPyTorchMomentumAndWeightDecay()
    {
        var p = new Parameter("w", 2);
        p.Value.Data[0] = 1f; p.Value.Data[1] = -2f;
        var opt = new Sgd([p], 0.1, momentum: 0.9, weightDecay: 0.01);
        // step 1: g = grad + wd p; buf = g; p -= lr buf
        p.Grad.Data[0] = 0.5f; p.Grad.Data[1] = 0.25f;
        opt.Step();
        double g0 = 0.5 + 0.01 * 1, g1 = 0.25 + 0.01 * -2;
        double p0 = 1 - 0.1 * g0, p1 = -2 - 0.1 * g1;
        // Sgd steps in float32: lr, momentum and weight decay rounded to float32, then g = grad + wd·w, buf, w - lr·buf:
        // under 8 roundings per step (u each) of values no larger than |w|, without cancellation (a step is ≤ 5 % of w),
        // so two steps stay within 16u of w relative.
        Close.Relative(p0, p.Value.Data[0], 16 * Close.U32, what: "w0 after one step"); Close.Relative(p1, p.Value.Data[1], 16 * Close.U32, what: "w1 after one step");
        // step 2: buf = 0.9 buf + g
        opt.Step();
        double h0 = 0.5 + 0.01 * p0, b0 = 0.9 * g0 + h0;
        Close.Relative(p0 - 0.1 * b0, p.Value.Data[0], 16 * Close.U32, what: "w0 after two steps");
    }

    [Fact]
    public void CrossEntropyIsStableAndMasked()
    {
        var logits = new Tensor(new float[] { 1000, 0, -1000, 5, 3, 1 }, 2, 3);
        var g = new Tensor(2, 3);
        double loss = Losses.CrossEntropy(logits, [0, 1], g);
        Assert.True(double.IsFinite(loss));
        double expected1 = -(3 - (5 + Math.Log(1 + Math.Exp(-2) + Math.Exp(-4))));
        // Both sides are float64: about 10 roundings (exp, log, sums) of values up to 5.2 on a loss of 1.07: 50u each side.
        Close.Relative((0 + expected1) / 2, loss, 128 * Close.U64, what: "mean loss");
        // masked: only classes 1 and 2 of row 2 compete
        var gm = new Tensor(1, 3);
        double lm = Losses.CrossEntropy(new Tensor(new float[] { 5, 3, 1 }, 1, 3), [1], gm, [false, true, true]);
        // log-sum-exp 3 + log(1 + e⁻²) minus the logit 3: 4 roundings of values up to 3.2 on a result of 0.13, 100u each side.
        Close.Relative(Math.Log(1 + Math.Exp(-2)), lm, 256 * Close.U64, what: "masked loss");
        Assert.Equal(0f, gm.Data[0]);
    }
}
