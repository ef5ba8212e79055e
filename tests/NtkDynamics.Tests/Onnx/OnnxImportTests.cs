using NtkDynamics.Formats;
using NtkDynamics.Onnx;
using static NtkDynamics.Tests.Onnx.OnnxFixture;

namespace NtkDynamics.Tests.Onnx;

/// <summary>The importer on PyTorch 1.13's exports of the fixture models (tests/fixtures-src/make_onnx_fixtures.py).</summary>
public class OnnxImportTests
{
    /// <summary>Every export of a model, with the reference file it shares.</summary>
    public static TheoryData<string, string> Exports => new()
    {
        { "cnn", "cnn" }, { "resnet18_nf20", "resnet18_nf20" }, { "mlp", "mlp" }, { "mlp_train", "mlp" },
        { "resnet_small", "resnet_small" }, { "resnet_small_train", "resnet_small" },
    };

    [Theory]
    [MemberData(nameof(Exports))]
    public void InitializersArePyTorchsStateDictUnderItsNames(string file, string model)
    {
        var onnx = OnnxModel.Load(Path($"{file}.onnx"));
        var reference = Reference(model);
        Assert.Equal(StateNames(reference).Order(StringComparer.Ordinal), onnx.Initializers.Select(i => i.Name).Order(StringComparer.Ordinal));
        Assert.Empty(onnx.Warnings);
        // A training-mode export runs the model once on its dummy input first, which moves the running statistics it
        // writes; parameters are as in the state dict for every export, buffers for the evaluation-mode ones.
        var buffers = reference.Metadata["buffers"].Split(',').ToHashSet();
        foreach (var (name, state) in reference.Arrays.Where(a => a.Key.StartsWith("state.")))
        {
            if (file.EndsWith("_train") && buffers.Contains(name["state.".Length..])) continue;
            var value = onnx.Initializer(name["state.".Length..])!.Value;
            Assert.Equal(state.Shape, value.Shape);
            Assert.Equal(state.ToFloat(), value.ToFloat());
        }
    }

    [Fact]
    public void EveryFixtureExportsTheOpsWeExpect()
    {
        string Ops(string file) => string.Join(" ", OnnxModel.Load(Path($"{file}.onnx")).Nodes.Select(n => n.OpType).Distinct().Order(StringComparer.Ordinal));
        Assert.Equal("Conv Flatten Gemm MaxPool Relu", Ops("cnn"));
        Assert.Equal("Add AveragePool BatchNormalization Conv Gemm GlobalAveragePool MaxPool Relu Reshape", Ops("resnet_small"));
        Assert.Equal("Add BatchNormalization Conv Gemm GlobalAveragePool Relu Reshape", Ops("resnet18_nf20"));
        Assert.Equal("Add Div Erf Gemm LayerNormalization LeakyRelu Mul Sigmoid Softplus Sub Tanh", Ops("mlp"));
        Assert.Equal("Add Div Dropout Erf Gemm LayerNormalization LeakyRelu Mul Sigmoid Softplus Sub Tanh", Ops("mlp_train"));
    }

    [Fact]
    public void InputAndOutputAreFoundWithDynamicOrFixedBatch()
    {
        var resnet = OnnxModel.Load(Path("resnet18_nf20.onnx"));
        Assert.Equal(("x", "batch"), (resnet.Input.Name, resnet.Input.Batch));
        Assert.Equal([3, 32, 32], resnet.Input.SampleShape);
        Assert.Equal("logits", resnet.Output);
        Assert.Equal(17, resnet.Opset);
        Assert.StartsWith("pytorch", resnet.Producer);
        var cnn = OnnxModel.Load(Path("cnn.onnx"));
        Assert.Equal((11, "1"), (cnn.Opset, cnn.Input.Batch));
        Assert.Equal([3, 8, 8], cnn.Input.SampleShape);
        Assert.Equal(cnn.Nodes[^1].Outputs[0], cnn.Output);
    }

    /// <summary>x.view(x.size(0), -1) is Shape, Gather, Unsqueeze, Concat (opset 17: axes inputs; opset 12: axes
    /// attributes, and the batch size traced as the number 1): both fold to [batch of the reshaped value, -1].</summary>
    [Theory]
    [InlineData("resnet_small")]
    [InlineData("resnet_small_train")]
    [InlineData("resnet18_nf20")]
    public void ViewBySizeZeroFoldsToBatchAndMinusOne(string file)
    {
        var onnx = OnnxModel.Load(Path($"{file}.onnx"));
        var reshape = Assert.Single(onnx.Nodes, n => n.OpType == "Reshape");
        var gap = Assert.Single(onnx.Nodes, n => n.OpType == "GlobalAveragePool");
        Assert.Equal([ShapeDim.SizeOf(gap.Outputs[0], 0), new ShapeDim(-1)], onnx.ShapeVector(reshape.Inputs[1])!);
        Assert.Equal(gap.Outputs[0], reshape.Inputs[0]);
    }

    /// <summary>AvgPool2d (count_include_pad) is a Pad and an AveragePool in the export: zero pads vanish, others move into the pool.</summary>
    [Fact]
    public void PadsMergeIntoTheAveragePools()
    {
        var onnx = OnnxModel.Load(Path("resnet_small.onnx"));
        var pools = onnx.Nodes.Where(n => n.OpType == "AveragePool").ToList();
        Assert.Equal(2, pools.Count);
        Assert.Equal([0L, 0, 0, 0], pools[0].Ints("pads", []));
        Assert.Equal(0, pools[0].Int("count_include_pad", 0));
        Assert.Equal([1L, 1, 1, 1], pools[1].Ints("pads", []));
        Assert.Equal(1, pools[1].Int("count_include_pad", 0));
        Assert.Equal([3L, 3], pools[1].Ints("kernel_shape", []));
        Assert.DoesNotContain(onnx.Nodes, n => n.Inputs.Any(i => i.Contains("Pad")));
    }

    /// <summary>PyTorch writes equal initializers once: a fresh BatchNorm's running_var is an Identity of its weight (all
    /// ones). We give the buffer its own copy under its own name.</summary>
    [Fact]
    public void IdentityOfAnInitializerBecomesASeparateInitializer()
    {
        var onnx = OnnxModel.Load(Path("resnet_small.onnx"));
        var weight = onnx.Initializer("block2.bn2.weight")!.Value;
        var variance = onnx.Initializer("block2.bn2.running_var")!.Value;
        Assert.Equal(Enumerable.Repeat(1f, 8), variance.ToFloat());
        Assert.Equal(weight.ToFloat(), variance.ToFloat());
        Assert.NotSame(weight.Data, variance.Data);
        Assert.Equal(new float[8], onnx.Initializer("block2.bn2.running_mean")!.Value.ToFloat());
        var bn = onnx.Nodes.Single(n => n.Name == "/block2/bn2/BatchNormalization");
        Assert.Equal(["block2.bn2.weight", "block2.bn2.bias", "block2.bn2.running_mean", "block2.bn2.running_var"], bn.Inputs.Skip(1));
    }

    [Fact]
    public void TrainingModeExportsAreNormalised()
    {
        var mlp = OnnxModel.Load(Path("mlp_train.onnx"));
        var dropout = Assert.Single(mlp.Nodes, n => n.OpType == "Dropout");
        Assert.Single(dropout.Inputs);
        Assert.Equal(0.1f, dropout.Float("ratio", 0));
        // Opset 12 has no training_mode attribute: a training-mode BatchNormalization has its five outputs.
        var resnet = OnnxModel.Load(Path("resnet_small_train.onnx"));
        var bn = resnet.Nodes.First(n => n.OpType == "BatchNormalization");
        Assert.Equal(5, bn.Outputs.Count);
        Assert.Equal(0.9f, bn.Float("momentum", 0)); // a float32 attribute, read as stored
        Assert.DoesNotContain(resnet.Nodes, n => n.Inputs.Contains(bn.Outputs[1]));
    }

    [Fact]
    public void FoldedBatchNormIsDetected()
    {
        var onnx = OnnxModel.Load(Path("resnet_small_folded.onnx"));
        string warning = Assert.Single(onnx.Warnings);
        Assert.StartsWith(Path("resnet_small_folded.onnx") + ": 6 of 6 convolutions (first node '/conv1/Conv' (Conv))", warning);
        Assert.Contains("folded BatchNorm", warning);
        Assert.Contains("training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False", warning);
        Assert.DoesNotContain('\n', warning);
        Assert.DoesNotContain(onnx.Nodes, n => n.OpType == "BatchNormalization");
    }

    [Fact]
    public void ResNet18InitializersMatchTheParameterCount()
    {
        var onnx = OnnxModel.Load(Path("resnet18_nf20.onnx"));
        var reference = Reference("resnet18_nf20");
        long parameters = reference.Arrays.Where(a => a.Key.StartsWith("train.grad.")).Sum(a => (long)a.Value.Length);
        long buffers = onnx.Initializers.Where(i => i.Name.EndsWith("running_mean") || i.Name.EndsWith("running_var")).Sum(i => (long)i.Value.Length);
        Assert.Equal(parameters + buffers, onnx.InitializerElements);
        Assert.Equal(1_100_000, parameters, 100_000.0);
        Assert.All(onnx.Initializers, i => Assert.Equal(DType.Float32, i.Value.DType));
    }
}
