using NtkDynamics.Formats;
using NtkDynamics.Nn;
using NtkDynamics.Ntk;
using NtkDynamics.Onnx;
using NtkDynamics.Tensors;
using static NtkDynamics.Tests.Onnx.OnnxFixture;
using static NtkDynamics.Tests.PyTorch.TorchFixture;

namespace NtkDynamics.Tests.Onnx;

/// <summary>
/// The fixture exports as our layer graphs (OnnxGraph) against PyTorch's float64 numbers for the modules they were exported
/// from (Fixtures/onnx/README.md): logits, loss and every gradient in evaluation mode and, with BatchNorm, in training mode
/// with the running statistics after the batch; functorch's full, trace and logit-0 eNTK; all to 1e-5 relative.
/// </summary>
public class OnnxGraphTests
{
    private const double Tolerance = 1e-5;

    public static TheoryData<string, string> Exports => OnnxImportTests.Exports;

    public static TheoryData<string> Models => ["cnn", "resnet18_nf20", "mlp", "resnet_small"];

    private static Model Import(string file) => OnnxModel.Load(Path($"{file}.onnx")).ToModel();

    private static void ForwardBackward(Model model, IReadOnlyDictionary<string, NdArray> f, string prefix, string what)
    {
        var logits = model.Forward(Tensor(f["x"]));
        Close(f[$"{prefix}logits"].ToDouble(), logits.Data, Tolerance, $"{what} logits");
        var grad = new Tensor(logits.Shape);
        double loss = Losses.CrossEntropy(logits, Labels(f["labels"]), grad);
        NtkDynamics.Tests.Close.Relative(f[$"{prefix}loss"].ToDouble()[0], loss, Tolerance, what: $"{what} loss");
        model.ZeroGrad();
        model.BackwardParameters(grad);
        if (!f.ContainsKey($"{prefix}grad.{model.Parameters[0].Name}")) return; // ResNet-18: training-mode gradients only
        foreach (var p in model.Parameters) Close(f[$"{prefix}grad.{p.Name}"].ToDouble(), p.Grad.Data, Tolerance, $"{what} d loss / d {p.Name}");
    }

    [Theory]
    [MemberData(nameof(Exports))]
    public void StateDictIsTheFilesInitializersUnderTheirNames(string file, string reference)
    {
        var model = Import(file);
        var onnx = OnnxModel.Load(Path($"{file}.onnx"));
        var names = model.StateDict().Keys.Where(k => !k.EndsWith(".num_batches_tracked")).Order(StringComparer.Ordinal);
        Assert.Equal(StateNames(Reference(reference)).Order(StringComparer.Ordinal), names);
        foreach (var t in onnx.Initializers) Assert.Equal(t.Value.ToFloat(), model.StateDict()[t.Name].Data);
        Assert.Equal(model.Buffers.Where(b => b.Name.EndsWith(".num_batches_tracked")).Select(b => b.Name[..^".num_batches_tracked".Length]),
            model.Nodes.Where(n => n.Layer is NtkDynamics.Nn.Layers.BatchNorm).Select(n => n.Name));
    }

    [Theory]
    [MemberData(nameof(Exports))]
    public void EvaluationLogitsLossAndGradientsEqualPyTorchs(string file, string reference)
    {
        if (file == "resnet_small_train") return; // its running statistics are the export's own (README), its training mode is tested below
        var model = Import(file);
        model.Mode = Mode.Eval;
        ForwardBackward(model, Reference(reference).Arrays, "", file);
    }

    [Theory]
    [InlineData("resnet18_nf20", "resnet18_nf20")]
    [InlineData("resnet_small", "resnet_small")]
    [InlineData("resnet_small_train", "resnet_small")]
    public void TrainingLogitsGradientsAndRunningStatisticsEqualPyTorchs(string file, string reference)
    {
        var f = Reference(reference).Arrays;
        var model = Import(file);
        if (file.EndsWith("_train")) // the statistics before the batch: the module's, not the export's
            foreach (var b in model.Buffers.Where(b => f.ContainsKey($"state.{b.Name}"))) f[$"state.{b.Name}"].ToFloat().CopyTo(b.Value.Data, 0);
        model.Mode = Mode.Train;
        ForwardBackward(model, f, "train.", file);
        foreach (var b in model.Buffers.Where(b => !b.Name.EndsWith("num_batches_tracked")))
            Close(f[$"train.{b.Name}"].ToDouble(), b.Value.Data, Tolerance, $"{b.Name} after the batch");
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void KernelsEqualFunctorchs(string file)
    {
        var model = Import(file);
        var f = Reference(file).Arrays;
        var probe = Tensor(f["probe"]);
        foreach (var (kind, entry) in new[] { (NtkKind.Full, "full"), (NtkKind.Trace, "trace"), (NtkKind.Logit, "logit0") })
        {
            var kernel = EmpiricalNtk.Compute(model, probe, new NtkOptions(kind));
            Assert.Equal(f[$"entk.{entry}"].Shape, new[] { kernel.Size, kernel.Size });
            Close(f[$"entk.{entry}"].ToDouble(), kernel.Values, Tolerance, $"{file} {entry}");
            Assert.Equal(model.Parameters.Select(p => p.Name).Order(), kernel.PerParameter.Keys.Order());
        }
    }

    /// <summary>x [N, 4] · w [4, 3] + b (MatMul then Add, names without a module prefix): one Linear holding wᵀ, its
    /// tensors named w and b, written back in ONNX's layout; an initializer operand of Mul is a buffer of its name.</summary>
    [Fact]
    public void MatMulAndAddAreOneLinearLayerUnderTheFilesNames()
    {
        float[] w = [.. Enumerable.Range(0, 12).Select(i => 0.1f * i - 0.5f)], b = [0.3f, -0.2f, 0.1f], scale = [2f, 3f, -1f];
        var bytes = OnnxBuilder.Model(OnnxBuilder.Graph(
            [OnnxBuilder.Node("MatMul", ["x", "w"], ["h"], "mm"), OnnxBuilder.Node("Add", ["h", "b"], ["z"], "bias"), OnnxBuilder.Node("Mul", ["scale", "z"], ["y"], "mul")],
            [OnnxBuilder.Tensor("w", [4, 3], w), OnnxBuilder.Tensor("b", [3], b), OnnxBuilder.Tensor("scale", [3], scale)],
            [OnnxBuilder.Value("x", null, 4)], [OnnxBuilder.Value("y", null, 3)]));
        using var dir = new TempDir();
        string file = dir.Path("mm.onnx");
        File.WriteAllBytes(file, bytes);
        var onnx = OnnxModel.Load(file);
        var model = onnx.ToModel();
        Assert.Equal(["input", "mm", "mul"], model.Nodes.Select(n => n.Name));
        Assert.Equal(["w", "b"], model.Parameters.Select(p => p.Name));
        Assert.Equal(["scale"], model.Buffers.Select(p => p.Name));
        var x = new Tensor([1f, 2f, -1f, 0.5f, 0f, 1f, 1f, -2f], 2, 4);
        var y = model.Forward(x);
        for (int i = 0; i < 2; i++)
            for (int o = 0; o < 3; o++)
            {
                double expected = b[o];
                for (int k = 0; k < 4; k++) expected += x.Data[i * 4 + k] * w[k * 3 + o];
                NtkDynamics.Tests.Close.Relative(scale[o] * expected, y.Data[i * 3 + o], 1e-6, 1e-7, $"y[{i}, {o}]");
            }
        var exported = OnnxGraph.ExportStateDict(model, onnx);
        Assert.Equal([4, 3], exported["w"].Shape);
        Assert.Equal(w, exported["w"].ToFloat());
        Assert.Equal(scale, exported["scale"].ToFloat());
    }

    /// <summary>The paper's CNN and ResNet-18 import as the built-in graphs: the same layers in the same order, the same
    /// parameter names and edges (so the eNTK's fusions match alike).</summary>
    [Theory]
    [InlineData("cnn")]
    [InlineData("resnet18_nf20")]
    public void TheImportedGraphIsTheBuiltInOne(string file)
    {
        var model = Import(file);
        var builtIn = (file == "cnn" ? ModelSpec.Cnn(4, 3, 8, 10) : ModelSpec.ResNet18(20, 3, 32, 10)).Build(Parametrisation.Parse("standard"), 0);
        static IEnumerable<string> Layers(Model m) => m.Nodes.Select(n => $"{n.Layer.Describe()} <- {string.Join(", ", n.Inputs.Select(i => i.Index))}");
        Assert.Equal(Layers(builtIn), Layers(model));
        Assert.Equal(builtIn.StateDict().Keys, model.StateDict().Keys);
    }
}

/// <summary>An imported model trains as the built-in architecture with the same weights: the same SGD steps give the same
/// parameters and running statistics, bit for bit (the same layers in the same order).</summary>
public class OnnxTrainingTests
{
    [Theory]
    [InlineData("cnn")]
    [InlineData("resnet18_nf20")]
    public void SgdStepsEqualTheBuiltInArchitecturesWithTheSameWeights(string file)
    {
        var imported = OnnxModel.Load(Path($"{file}.onnx")).ToModel();
        var builtIn = (file == "cnn" ? ModelSpec.Cnn(4, 3, 8, 10) : ModelSpec.ResNet18(20, 3, 32, 10)).Build(Parametrisation.Parse("standard"), 0);
        builtIn.LoadStateDict(imported.StateDict(), file);
        var f = Reference(file).Arrays;
        var x = Tensor(f["x"]);
        var labels = Labels(f["labels"]);
        foreach (var m in new[] { imported, builtIn })
        {
            m.Mode = Mode.Train;
            var sgd = new Sgd(m.Parameters, 0.05, momentum: 0.9);
            for (int step = 0; step < 3; step++)
            {
                var logits = m.Forward(x);
                var grad = new Tensor(logits.Shape);
                Losses.CrossEntropy(logits, labels, grad);
                m.ZeroGrad();
                m.BackwardParameters(grad);
                sgd.Step();
            }
        }
        foreach (var (name, value) in builtIn.StateDict()) Assert.True(value.Data.SequenceEqual(imported.StateDict()[name].Data), name);
        Assert.NotEqual(OnnxModel.Load(Path($"{file}.onnx")).ToModel().StateDict()["conv1.weight"].Data, imported.StateDict()["conv1.weight"].Data);
    }
}
