using NtkDynamics.Nn;
using NtkDynamics.Nn.Layers;
using NtkDynamics.Ntk;
using NtkDynamics.Tensors;
using static NtkDynamics.Tests.Nn.LayerGradientTests;

namespace NtkDynamics.Tests.Nn;

/// <summary>Models as graphs: topological forward, exact backward through fan-out, modes, buffers, state dicts, bad graphs.</summary>
public class GraphTests
{
    internal static Model ResNet(int nf = 2, int size = 8, int classes = 3, ulong seed = 1) =>
        ModelSpec.ResNet18(nf, 3, size, classes).Build(Parametrisation.Parse("standard"), seed);

    private static (Tensor X, int[] Y) Batch(Model m, int n, ulong seed) => ModelTests.Batch(m.InputShape, m.Classes, n, seed);

    private static double Loss(Model m, Tensor x, int[] y) => ModelTests.Loss(m, x, y);

    // One residual block as ResNet-18 has them, with a strided 1x1 conv + BatchNorm shortcut: the gradients through both
    // branches and the Add, in training (batch statistics) and evaluation (running ones), by finite differences. Without
    // the ReLUs: after a BatchNorm many values sit near the kink, which makes float32 finite differences noise at the 1 %
    // level (ReLU's own gradient is checked alone; a whole ResNet-18 is held to PyTorch's float64 numbers).
    [Theory]
    [InlineData(Mode.Train)]
    [InlineData(Mode.Eval)]
    public void GradientsThroughAResidualBlockMatchFiniteDifferences(Mode mode)
    {
        var g = new GraphBuilder("block", [3, 6, 6]);
        string x0 = g.Add("bn0", new BatchNorm(3), g.Input);
        string y = g.Add("conv1", new Conv2d(3, 6, 3, 1, 2, bias: false), x0);
        y = g.Add("bn1", new BatchNorm(6), y);
        y = g.Add("bn2", new BatchNorm(6), g.Add("conv2", new Conv2d(6, 6, 3, 1, bias: false), y));
        string shortcut = g.Add("shortcut.1", new BatchNorm(6), g.Add("shortcut.0", new Conv2d(3, 6, 1, 0, 2, bias: false), x0));
        y = g.Add("add", new Add(), y, shortcut);
        var m = g.Build(g.Add("fc", new Linear(6, 4), g.Add("pool", new GlobalAvgPool2d(), y)));
        m.Initialise(Parametrisation.Parse("standard"), 3);
        foreach (var p in m.Parameters.Where(p => p.Name.StartsWith("bn") || p.Name.StartsWith("shortcut.1"))) new Rng(4).FillUniform(p.Value.Data, 0.5, 1.5);
        foreach (var b in m.Buffers.Where(b => b.Name.EndsWith("running_var"))) new Rng(5).FillUniform(b.Value.Data, 0.5, 2);
        foreach (var b in m.Buffers.Where(b => b.Name.EndsWith("running_mean"))) new Rng(6).FillNormal(b.Value.Data, 0.3);
        var (x, labels) = Batch(m, 6, 2);
        m.Mode = mode;
        var logits = m.Forward(x);
        var grad = new Tensor(logits.Shape);
        Losses.CrossEntropy(logits, labels, grad);
        m.ZeroGrad();
        var dx = m.Backward(grad).Clone();
        GradientCheck.Check("input", () => Loss(m, x, labels), x.Data, dx.Data, 5);
        foreach (var p in m.Parameters) GradientCheck.Check(p.Name, () => Loss(m, x, labels), p.Value.Data, p.Grad.Data.ToArray(), 6);
    }

    [Fact]
    public void ResNetBackwardParametersEqualsTheFullBackward()
    {
        var m = ResNet();
        var (x, y) = Batch(m, 3, 4);
        var logits = m.Forward(x);
        var g = new Tensor(logits.Shape);
        Losses.CrossEntropy(logits, y, g);
        m.ZeroGrad();
        m.Backward(g);
        var full = m.Parameters.Select(p => p.Grad.Data.ToArray()).ToArray();
        m.ZeroGrad();
        m.BackwardParameters(g);
        for (int i = 0; i < full.Length; i++) Assert.Equal(full[i], m.Parameters[i].Grad.Data);
    }

    // x feeds three nodes, one of them twice (x + x): the gradient adds up every path, by finite differences.
    [Fact]
    public void AValueFeedingSeveralNodesGetsTheSumOfTheirGradients()
    {
        var g = new GraphBuilder("fan-out", [4]);
        string a = g.Add("a", new Linear(4, 5), g.Input);
        string r = g.Add("r", new Relu(), a);
        string b = g.Add("b", new Linear(5, 5), a);
        string twice = g.Add("twice", new Add(), a, a);
        string sum = g.Add("sum", new Add(), r, b, twice);
        var m = g.Build(g.Add("out", new Linear(5, 2), sum));
        m.Initialise(Parametrisation.Parse("standard"), 3);
        Assert.Equal(4, m["a"].Consumers.Count);
        var (x, y) = Batch(m, 3, 5);
        var logits = m.Forward(x);
        var grad = new Tensor(logits.Shape);
        Losses.CrossEntropy(logits, y, grad);
        m.ZeroGrad();
        var dx = m.Backward(grad).Clone();
        GradientCheck.Check("input", () => Loss(m, x, y), x.Data, dx.Data, 7, 2e-3, 1e-2);
        foreach (var p in m.Parameters) GradientCheck.Check(p.Name, () => Loss(m, x, y), p.Value.Data, p.Grad.Data.ToArray(), 8, 2e-3, 1e-2);
    }

    [Fact]
    public void ResNetHasMammothsStateDictNamesAndShapes()
    {
        var m = ResNet(nf: 20, size: 32, classes: 10);
        var sd = m.StateDict();
        Assert.Equal(new[] { 20, 3, 3, 3 }, sd["conv1.weight"].Shape);
        Assert.Equal(new[] { 20 }, sd["bn1.running_mean"].Shape);
        Assert.Equal(Array.Empty<int>(), sd["bn1.num_batches_tracked"].Shape);
        Assert.Equal(new[] { 40, 20, 1, 1 }, sd["layer2.0.shortcut.0.weight"].Shape);
        Assert.Equal(new[] { 40 }, sd["layer2.0.shortcut.1.running_var"].Shape);
        Assert.Equal(new[] { 160, 160, 3, 3 }, sd["layer4.1.conv2.weight"].Shape);
        Assert.Equal(new[] { 10, 160 }, sd["classifier.weight"].Shape);
        Assert.False(sd.ContainsKey("layer1.0.shortcut.0.weight")); // same shape: the identity
        Assert.False(sd.ContainsKey("conv1.bias"));
        // The torch module's state dict: 62 parameters (20 conv weights, 20 BatchNorms' γ and β, the head's 2), 60 buffers.
        Assert.Equal((62, 60), (m.Parameters.Count, m.Buffers.Count));
        var inferred = ModelSpec.FromStateDict(sd.ToDictionary(kv => kv.Key, kv => kv.Value.Shape), "test");
        Assert.Equal(("resnet18", 20, 10), (inferred.Kind, inferred.Width, inferred.Classes));
        Assert.Equal(new[] { 3, 32, 32 }, inferred.InputShape);
    }

    // The CNN's and the MLP's graphs draw their initial values in the order of the sequential models before them: node by
    // node, weight then bias, from one generator.
    [Fact]
    public void BuildersInitialiseLayerByLayerWeightThenBias()
    {
        foreach (var spec in new[] { ModelSpec.Cnn(4, 3, 8, 5), ModelSpec.Mlp([2, 3, 3], [7, 6], 4) })
        {
            var par = Parametrisation.Parse("ntk");
            var m = spec.Build(par, 9);
            var rng = new Rng(9);
            var layers = m.ParameterNodes.ToArray();
            for (int l = 0; l < layers.Length; l++)
            {
                var w = new Tensor(layers[l].Layer.Parameters[0].Value.Shape);
                var b = new Tensor(layers[l].Layer.Parameters[1].Value.Shape);
                par.Initialise(w, b, Tensor.Count(w.Shape.AsSpan(1)), l == layers.Length - 1, rng);
                Assert.Equal(w.Data, layers[l].Layer.Parameters[0].Value.Data);
                Assert.Equal(b.Data, layers[l].Layer.Parameters[1].Value.Data);
            }
        }
    }

    [Fact]
    public void StateDictCarriesBuffersAndCopyGivesTheSameModel()
    {
        var m = ResNet();
        var (x, _) = Batch(m, 4, 9);
        m.Forward(x); // training: running statistics move away from 0 and 1
        var copy = m.Copy();
        Assert.Equal(m.StateDict().Keys, copy.StateDict().Keys);
        foreach (var (name, value) in m.StateDict()) Assert.Equal(value.Data, copy.StateDict()[name].Data);
        Assert.NotEqual(0f, m.StateDict()["layer3.1.bn2.running_mean"].Data[0]);
        m.Mode = copy.Mode = Mode.Eval;
        Assert.Equal(m.Forward(x).Data, copy.Forward(x).Data);
        // A copy is separate: training it leaves the original alone.
        copy.Mode = Mode.Train;
        copy.Forward(x);
        Assert.NotEqual(m.StateDict()["bn1.running_mean"].Data, copy.StateDict()["bn1.running_mean"].Data);
    }

    [Fact]
    public void LoadingAStateDictOfOtherNamesOrShapesNamesTheTensor()
    {
        var m = ResNet();
        var sd = m.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Clone());
        sd.Remove("layer2.0.bn1.running_var");
        var e = Assert.Throws<InputException>(() => m.LoadStateDict(sd, "ckpt.safetensors"));
        Assert.Contains("missing layer2.0.bn1.running_var", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        sd["layer2.0.bn1.running_var"] = new Tensor(3);
        e = Assert.Throws<InputException>(() => m.LoadStateDict(sd, "ckpt.safetensors"));
        Assert.Contains("'layer2.0.bn1.running_var' has shape [3]", e.Message);
        Assert.Contains("ckpt.safetensors", e.Message);
    }

    // Training's pass and another pass over the same model (the eNTK's) keep their own activations: an eNTK between a
    // forward and its backward leaves the gradients as they were.
    [Fact]
    public void AnotherPassBetweenForwardAndBackwardChangesNothing()
    {
        var m = ResNet();
        var (x, y) = Batch(m, 4, 10);
        var (probe, _) = Batch(m, 3, 11);
        float[][] Grads(bool entkBetween)
        {
            var copy = m.Copy();
            var logits = copy.Forward(x);
            if (entkBetween) EmpiricalNtk.Compute(copy, probe, new NtkOptions(NtkKind.Full));
            var g = new Tensor(logits.Shape);
            Losses.CrossEntropy(logits, y, g);
            copy.ZeroGrad();
            copy.Backward(g);
            return copy.Parameters.Select(p => p.Grad.Data.ToArray()).ToArray();
        }
        var plain = Grads(false);
        var between = Grads(true);
        for (int i = 0; i < plain.Length; i++) Assert.Equal(plain[i], between[i]);
    }

    private static InputException Bad(params NodeSpec[] nodes) =>
        Assert.Throws<InputException>(() => new Model("net.yaml", [4], nodes, nodes[^1].Name));

    [Fact]
    public void BadGraphsAreOneLineErrorsNamingTheNode()
    {
        NodeSpec L(string name, params string[] inputs) => new(name, new Linear(4, 4), inputs);
        var cycle = Bad(L("a", "input"), new("b", new Add(), ["a", "c"]), L("c", "b"), L("out", "c"));
        Assert.Contains("cycle", cycle.Message);
        Assert.Matches("node '[bc]'", cycle.Message);
        Assert.Contains("node 'b' reads 'nope', which is not a node", Bad(L("a", "input"), L("b", "nope")).Message);
        Assert.Contains("'a' is used twice", Bad(L("a", "input"), L("a", "a")).Message);
        Assert.Contains("node 'dead' does not lead to the output", Bad(L("a", "input"), L("dead", "a"), L("out", "a")).Message);
        Assert.Contains("node 'sum' (Add) takes two or more inputs, got 1", Bad(L("a", "input"), new("sum", new Add(), ["a"])).Message);
        var add = Bad(L("a", "input"), new("wide", new Linear(4, 6), ["input"]), new("sum", new Add(), ["a", "wide"]));
        Assert.Contains("node 'sum'", add.Message);
        Assert.Contains("[4] and [6] do not meet", add.Message);
        var shape = Bad(new NodeSpec("fc", new Linear(5, 2), ["input"]));
        Assert.Contains("node 'fc'", shape.Message);
        Assert.Contains("[N, 5]", shape.Message);
        foreach (var e in new[] { cycle, add, shape }) Assert.DoesNotContain('\n', e.Message);
        NodeSpec[] convOnly = [new("conv", new Conv2d(2, 2, 3, 1), ["input"])];
        Assert.Contains("expected logits [N, classes]", Assert.Throws<InputException>(() => new Model("net", [2, 4, 4], convOnly, "conv")).Message);
    }
}
