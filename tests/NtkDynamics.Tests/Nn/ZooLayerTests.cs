using NtkDynamics.Nn;
using NtkDynamics.Nn.Layers;
using NtkDynamics.Tensors;
using static NtkDynamics.Tests.Nn.LayerGradientTests;

namespace NtkDynamics.Tests.Nn;

/// <summary>
/// The layer zoo (activations, Identity, Dropout, LayerNorm, GroupNorm, AvgPool2d): gradients against finite differences in
/// training and evaluation mode, for inputs and parameters; the eNTK's replicated rows; Dropout's masks. Their numbers
/// against PyTorch's are in PyTorch/ZooLayerTests.
/// </summary>
public class ZooLayerTests
{
    public static TheoryData<Mode> Modes => [Mode.Train, Mode.Eval];

    private static IEnumerable<Activation> Activations() =>
        [new LeakyRelu(), new LeakyRelu(0.2), new Gelu(), new Tanh(), new Erf(), new Sigmoid(), new Softplus(), new Softplus(2, 3), new Silu()];

    [Theory]
    [MemberData(nameof(Modes))]
    public void ActivationsAndIdentityMatchFiniteDifferences(Mode mode)
    {
        ulong seed = 200;
        foreach (var layer in Activations().Append<Layer>(new Identity()))
            CheckLayer(layer, seed += 10, mode, 1e-3, Random(seed, 3, 2, 4, 5));
        // Softplus above its threshold is the identity: inputs well above it.
        var above = Random(201, 2, 7);
        for (int i = 0; i < above.Length; i++) above.Data[i] = 3 + Math.Abs(above.Data[i]);
        CheckLayer(new Softplus(2, 3), 202, mode, 1e-3, above);
        Assert.Equal(above.Data, Run(new Softplus(2, 3), mode, above).Y.Data);
    }

    private static LayerNorm RandomAffine(LayerNorm l, ulong seed) { Randomise(l, seed); return l; }

    private static GroupNorm RandomAffine(GroupNorm g, ulong seed) { Randomise(g, seed); return g; }

    // γ and β away from PyTorch's ones and zeros, so that a mix-up of the two or of their indices shows.
    private static void Randomise(Normalization n, ulong seed)
    {
        if (n.Weight is null) return;
        new Rng(seed).FillNormal(n.Weight.Value.Data, 1);
        new Rng(seed + 1).FillNormal(n.Bias!.Value.Data, 1);
    }

    private static IEnumerable<(Layer Layer, Tensor X)> Norms() =>
    [
        (RandomAffine(new LayerNorm([4, 3, 2]), 1), Random(300, 3, 4, 3, 2)),
        (RandomAffine(new LayerNorm([3, 2]), 2), Random(301, 3, 4, 3, 2)),
        (RandomAffine(new LayerNorm([7], 1e-3), 3), Random(302, 5, 7)),
        (new LayerNorm([2, 5], affine: false), Random(303, 2, 3, 2, 5)),
        (RandomAffine(new GroupNorm(1, 4), 4), Random(304, 3, 4, 3, 2)),
        (RandomAffine(new GroupNorm(2, 4), 5), Random(305, 3, 4, 3, 2)),
        (RandomAffine(new GroupNorm(4, 4), 6), Random(306, 2, 4, 5)),
        (RandomAffine(new GroupNorm(2, 6, 1e-3), 7), Random(307, 4, 6)),
        (new GroupNorm(2, 4, affine: false), Random(308, 2, 4, 2, 2)),
    ];

    [Theory]
    [MemberData(nameof(Modes))]
    public void LayerNormAndGroupNormMatchFiniteDifferences(Mode mode)
    {
        ulong seed = 310;
        foreach (var (layer, x) in Norms()) CheckLayer(layer, seed += 10, mode, 3e-3, x);
    }

    private static IEnumerable<AvgPool2d> AvgPools() =>
    [
        new AvgPool2d(2), new AvgPool2d(3, 2, 1), new AvgPool2d(3, 2, 1, ceilMode: true), new AvgPool2d(3, 2, 1, true, countIncludePad: false),
        new AvgPool2d(new Window2d(3, 2, 3, 1, 1, 1), ceilMode: true, countIncludePad: false), new AvgPool2d(3, 1, 1, countIncludePad: false),
    ];

    [Theory]
    [MemberData(nameof(Modes))]
    public void AvgPoolMatchesFiniteDifferences(Mode mode)
    {
        ulong seed = 400;
        foreach (var pool in AvgPools()) CheckLayer(pool, seed += 10, mode, 1e-2, Random(seed, 2, 3, 7, 6));
    }

    // Windows of a 7 x 6 plane 0..41 (PyTorch's numbers: tests/fixtures-src/make_zoo_fixtures.py checks the same against
    // torch in PyTorch/ZooLayerTests; these say why). Ceil mode adds a last, partial window that must start inside the
    // image or its left padding; count_include_pad divides by the window inside the padded image, never by its overhang.
    [Fact]
    public void AvgPoolSizesAndDivisorsAreThoseOfPyTorch()
    {
        var x = new Tensor(Enumerable.Range(0, 42).Select(i => (float)i).ToArray(), 1, 1, 7, 6);
        float Last(AvgPool2d p, int[] shape)
        {
            var y = Run(p, Mode.Eval, x).Y;
            Assert.Equal(shape, y.Shape);
            return y.Data[^1];
        }
        // (35 + 41) / 6: 3 x 2 of the padded image; an exact sum of integers and one or two roundings, as 12 + 2f/3: 2 ulps
        Close.Ulps(12 + 2f / 3, Last(new AvgPool2d(3, 2, 1, ceilMode: true), [1, 1, 4, 4]), 2);
        Assert.Equal(38f, Last(new AvgPool2d(3, 2, 1, true, countIncludePad: false), [1, 1, 4, 4])); // (35 + 41) / 2
        Assert.Equal(40.5f, Last(new AvgPool2d(2, ceilMode: true), [1, 1, 4, 3])); // row 6 alone: (40 + 41) / 2, the overhang not counted
        Assert.Equal(31.5f, Last(new AvgPool2d(2), [1, 1, 3, 3])); // floor mode drops row 6: (28 + 29 + 34 + 35) / 4
        Assert.Equal(new[] { 1, 1, 3, 3 }, Run(new AvgPool2d(3, 3, 1, ceilMode: true), Mode.Eval, x).Y.Shape); // a 4th window would start in the padding
        Assert.Contains("padding must be at most half the kernel", Assert.Throws<ArgumentException>(() => new AvgPool2d(2, 1, 2)).Message);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void DropoutMatchesFiniteDifferencesWithItsMaskFixed(Mode mode)
    {
        var drop = new Dropout(0.3);
        var start = new Rng(5).GetState();
        CheckLayer(drop, 500, mode, 1e-2, true, [Random(501, 4, 3, 5)], () => ((IRandomLayer)drop).RandomState = start);
    }

    [Fact]
    public void DropoutDropsInTrainingOnlyWithANewMaskEachPassFromItsGenerator()
    {
        var drop = new Dropout(0.25);
        drop.Initialise(Parametrisation.Parse("standard"), false, new Rng(9));
        var x = new Tensor(4000);
        x.Fill(2f);
        var start = drop.RandomState;
        var (s1, y1) = Run(drop, Mode.Train, x);
        var first = y1.Data.ToArray();
        // Each element: 2 / 0.75 when the generator's next double is >= p, else 0; about 1 in 4 dropped.
        var rng = Rng.FromState(start);
        for (int i = 0; i < x.Length; i++) Assert.Equal(rng.NextDouble() >= 0.25 ? 2f * (float)(1 / 0.75) : 0f, first[i]);
        Assert.InRange(first.Count(v => v == 0), 900, 1100);
        Assert.Equal(rng.GetState(), drop.RandomState);
        var second = Run(drop, Mode.Train, x).Y.Data;
        Assert.NotEqual(first, second);
        // The backward uses its own pass's mask, even after another pass.
        var dx = drop.Backward(s1, x, null)[0]!;
        Assert.Equal(first, dx.Data);
        // Evaluation and frozen statistics: the identity (the tensor itself), and no draw.
        var before = drop.RandomState;
        foreach (var mode in new[] { Mode.Eval, Mode.FrozenBatchStatistics }) Assert.Same(x, Run(drop, mode, x).Y);
        Assert.Equal(before, drop.RandomState);
        Assert.All(Run(new Dropout(1), Mode.Train, x).Y.Data, v => Assert.Equal(0f, v));
        Assert.Same(x, Run(new Dropout(0), Mode.Train, x).Y);
        Assert.Contains("p must be in [0, 1]", Assert.Throws<ArgumentException>(() => new Dropout(1.5)).Message);
    }

    // The eNTK back-propagates r·N rows against a forward batch of N: row j is sample j mod N's cotangent. Each replica
    // must give exactly what it gives alone.
    [Fact]
    public void ReplicatedRowsBackPropagateAsEachReplicaAlone()
    {
        ulong seed = 600;
        var cases = Activations().Append<Layer>(new Dropout(0.5)).Append(new Identity()).Select(l => (Layer: l, X: Random(seed++, 3, 4, 5)))
            .Concat(AvgPools().Select(p => ((Layer)p, Random(seed++, 2, 3, 7, 6)))).Concat(Norms());
        foreach (var (layer, x) in cases)
        {
            if (layer is Dropout) layer.Initialise(Parametrisation.Parse("standard"), false, new Rng(seed));
            var (state, y) = Run(layer, Mode.Train, x);
            var dy = Random(seed++, [3 * y.Shape[0], .. y.Shape[1..]]);
            var all = layer.Backward(state, dy, null)[0]!.Data.ToArray();
            for (int t = 0; t < 3; t++)
            {
                var one = new Tensor(dy.Data.AsSpan(t * y.Length, y.Length).ToArray(), y.Shape);
                Assert.Equal(layer.Backward(state, one, null)[0]!.Data, all.AsSpan(t * x.Length, x.Length).ToArray());
            }
        }
    }

    // Python's math.erf (double precision) at points of both methods (series below 2.5, continued fraction above).
    [Theory]
    [InlineData(1e-8, 1.1283791670955126e-08)]
    [InlineData(0.1, 0.1124629160182849)]
    [InlineData(0.5, 0.5204998778130465)]
    [InlineData(1.0, 0.8427007929497149)]
    [InlineData(2.0, 0.9953222650189527)]
    [InlineData(2.49, 0.9995707121322661)]
    [InlineData(2.5, 0.999593047982555)]
    [InlineData(3.5, 0.9999992569016276)]
    [InlineData(5.9, 0.9999999999999999)]
    [InlineData(10.0, 1.0)]
    public void ErfEqualsPythonsToDoublePrecision(double x, double erf)
    {
        Close.Ulps(erf, SpecialFunctions.Erf(x), 8, $"erf({x})");
        Close.Ulps(-erf, SpecialFunctions.Erf(-x), 8, $"erf({-x})");
    }

    [Fact]
    public void LogOnePlusIsExactForTinyArguments()
    {
        Assert.Equal(1e-20, SpecialFunctions.LogOnePlus(1e-20));
        Close.Ulps(Math.Log(2), SpecialFunctions.LogOnePlus(1), 2);
        Close.Relative(9.999999500000033e-08, SpecialFunctions.LogOnePlus(1e-7), 1e-15);
    }
}
