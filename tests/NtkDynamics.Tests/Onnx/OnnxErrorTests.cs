using NtkDynamics.Onnx;
using static NtkDynamics.Tests.Onnx.OnnxBuilder;

namespace NtkDynamics.Tests.Onnx;

/// <summary>Malformed or unsupported .onnx files: one-line InputExceptions naming the file (and the node, op and opset).</summary>
public class OnnxErrorTests
{
    private static void Fails(byte[] bytes, string part)
    {
        using var dir = new TempDir();
        string path = dir.Path("model.onnx");
        File.WriteAllBytes(path, bytes);
        InputErrors.Assert(() => OnnxModel.Load(path), path, part);
    }

    [Fact]
    public void TheSmallestModelLoads()
    {
        using var dir = new TempDir();
        string path = dir.Path("model.onnx");
        File.WriteAllBytes(path, Linear());
        var onnx = OnnxModel.Load(path);
        Assert.Equal(("x", "y", "fc"), (onnx.Input.Name, onnx.Output, Assert.Single(onnx.Nodes).Name));
        Assert.Equal([4], onnx.Input.SampleShape);
    }

    [Fact]
    public void MissingOrEmptyFile()
    {
        using var dir = new TempDir();
        InputErrors.Assert(() => OnnxModel.Load(dir.Path("none.onnx")), dir.Path("none.onnx"), "no such file");
        Fails([], "has no graph");
        Fails("name: not a model\n"u8.ToArray(), "not a valid ONNX file, or truncated");
    }

    /// <summary>Every cut of a real export fails with an InputException (never another exception, never a model).</summary>
    [Fact]
    public void TruncatedFilesFail()
    {
        byte[] bytes = File.ReadAllBytes(OnnxFixture.Path("resnet_small.onnx"));
        using var dir = new TempDir();
        string path = dir.Path("cut.onnx");
        for (int cut = 1; cut < bytes.Length; cut += bytes.Length / 97 + 1)
        {
            File.WriteAllBytes(path, bytes[..cut]);
            var e = Assert.Throws<InputException>(() => OnnxModel.Load(path));
            Assert.StartsWith(path + ": ", e.Message);
            Assert.DoesNotContain('\n', e.Message);
        }
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        InputErrors.Assert(() => OnnxModel.Load(path), path, "truncated");
    }

    [Fact]
    public void CorruptedBytesFailCleanly()
    {
        byte[] bytes = File.ReadAllBytes(OnnxFixture.Path("mlp.onnx"));
        var rng = new Random(5);
        using var dir = new TempDir();
        string path = dir.Path("bad.onnx");
        for (int trial = 0; trial < 200; trial++)
        {
            var copy = (byte[])bytes.Clone();
            for (int k = 0; k < 3; k++) copy[rng.Next(copy.Length)] = (byte)rng.Next(256);
            File.WriteAllBytes(path, copy);
            try
            {
                OnnxModel.Load(path);
            }
            catch (InputException e)
            {
                Assert.StartsWith(path + ": ", e.Message);
                Assert.DoesNotContain('\n', e.Message);
            }
        }
    }

    [Theory]
    [InlineData(9, "opset 9 is not supported (we read opsets 11-22): export with opset_version=17")]
    [InlineData(30, "opset 30 is not supported")]
    public void UnsupportedOpsetsFail(long opset, string part) => Fails(Linear(opset), part);

    [Fact]
    public void OldIrVersionOrNoStandardOpsetFails()
    {
        Fails(Model(Message((2, "g")), irVersion: 2), "IR version 2 is older than 3");
        Fails(Message((1, 8L), (7, Message((2, "g"))), (8, Message((1, "com.example"), (2, 1L)))), "imports no version of the standard operator set");
    }

    [Fact]
    public void UnknownOpNamesTheNodeTheOpAndTheOpset() =>
        Fails(Linear(node: Node("Transpose", ["x"], ["y"], "perm1")), "node 'perm1' (Transpose, opset 17): Transpose is not supported (we keep PyTorch's NCHW layout");

    [Fact]
    public void AnOpNewerThanTheOpsetFails() =>
        Fails(Linear(13, Node("LayerNormalization", ["x", "w"], ["y"], "ln")), "node 'ln' (LayerNormalization, opset 13): LayerNormalization needs opset 17 or newer");

    [Fact]
    public void ALayerNormBelowOpset17GetsAHint() =>
        Fails(Linear(11, Node("ReduceMean", ["x"], ["y"], "mean")), "a LayerNorm exported below opset 17 decomposes");

    [Fact]
    public void NodesOfOtherDomainsFail() =>
        Fails(Linear(node: Message((1, "x"), (2, "y"), (3, "q"), (4, "Gemm"), (7, "com.microsoft"))), "node 'q' (Gemm, opset 17): domain 'com.microsoft' is not the standard operator set");

    [Fact]
    public void MissingInitializerFails() =>
        Fails(Linear(initializers: []), "node 'fc' (Gemm, opset 17): reads 'w', which no initializer, graph input or earlier node provides (a missing initializer?)");

    [Fact]
    public void ExternalDataIsRefused() =>
        Fails(Linear(initializers: [Message((1, new long[] { 3, 4 }), (2, 1L), (8, "w"), (13, Message((1, "location"), (2, "w.bin"))), (14, 1L))]),
            "initializer 'w': its data is stored outside the .onnx file (external data)");

    [Fact]
    public void BadTensorDataFails()
    {
        Fails(Linear(initializers: [Tensor("w", [3, 4], new float[11])]), "initializer 'w': raw_data has 44 bytes, shape [3, 4] of float32 needs 48");
        Fails(Linear(initializers: [Message((1, new long[] { 3, 4 }), (2, 10L), (8, "w"), (9, new byte[24]))]), "initializer 'w': element type FLOAT16 is not supported");
        Fails(Linear(initializers: [Tensor("w", [3, 4], new float[12]), Tensor("w", [3, 4], new float[12])]), "initializer 'w' is given twice");
    }

    [Fact]
    public void InputsAndOutputsAreChecked()
    {
        Fails(Linear(inputs: [Value("x", null, 4), Value("z", null, 4)]), "has 2 inputs ('x', 'z'); we import models with one input");
        Fails(Linear(inputs: [Value("x", null, null)]), "input 'x': the size of axis 1 is not fixed (batch)");
        Fails(Linear(inputs: [Value("x", 4)]), "input 'x' has no shape of rank 2 or more");
        Fails(Model(Graph([Node("Relu", ["x"], ["y"])], [], [Value("x", null, 4)], [Value("y", null, 4), Value("x", null, 4)])), "has 2 outputs");
        Fails(Model(Graph([Node("Relu", ["x"], ["r"])], [], [Value("x", null, 4)], [Value("y", null, 4)])), "output 'y' is computed by no node");
    }

    [Fact]
    public void AttributeOfTheWrongTypeNamesTheNode()
    {
        byte[] conv = Node("Conv", ["x", "w"], ["y"], "c", FloatAttribute("group", 1f));
        using var dir = new TempDir();
        string path = dir.Path("model.onnx");
        File.WriteAllBytes(path, Linear(node: conv, initializers: [Tensor("w", [3, 4, 1], new float[12])], inputs: [Value("x", null, 4, 5)]));
        var onnx = OnnxModel.Load(path);
        InputErrors.Assert(() => onnx.Nodes[0].Int("group", 1), path, "node 'c' (Conv): attribute 'group' is FLOAT, expected INT");
    }

    [Fact]
    public void ShapeArithmeticWeDoNotFoldIsRefused()
    {
        // Reshape to a shape computed from a runtime value's Shape by Concat along axis 1.
        byte[] graph = Graph(
            [Node("Shape", ["x"], ["s"]), Node("Concat", ["s", "s"], ["t"], "cat", Message((1, "axis"), (3, 1L), (20, 2L))),
             Node("Reshape", ["x", "t"], ["y"])],
            [], [Value("x", null, 4)], [Value("y", null, 4)]);
        Fails(Model(graph), "node 'cat' (Concat): concatenates along axis 1; we fold only shape vectors");
        byte[] data = Graph([Node("Shape", ["x"], ["s"]), Node("Add", ["x", "s"], ["y"], "add")], [], [Value("x", null, 4)], [Value("y", null, 4)]);
        Fails(Model(data), "node 'add' (Add): reads 's', a shape computed at load, as data");
    }

    [Fact]
    public void NonZeroPadOutsideAnAveragePoolIsRefused()
    {
        byte[] graph = Graph(
            [Node("Constant", [], ["p"], "", Message((1, "value"), (5, Message((1, new long[] { 8 }), (2, 7L), (7, new long[] { 0, 0, 1, 1, 0, 0, 1, 1 }))), (20, 4L))),
             Node("Pad", ["x", "p"], ["y"], "pad")],
            [], [Value("x", null, 2, 4, 4)], [Value("y", null, 2, 6, 6)]);
        Fails(Model(graph), "node 'pad' (Pad): pads [0, 0, 1, 1, 0, 0, 1, 1]; we import zero padding of the spatial axes only in front of an AveragePool");
    }

    [Fact]
    public void ReadingATrainingOnlyOutputFails()
    {
        byte[] graph = Graph(
            [Node("Dropout", ["x"], ["d", "mask"], "drop"), Node("Mul", ["d", "mask"], ["y"], "mul")],
            [], [Value("x", null, 4)], [Value("y", null, 4)]);
        Fails(Model(graph), "node 'mul' (Mul, opset 17): reads 'mask', output 1 of node 'drop' (Dropout) (the dropout mask), which we do not compute");
    }
}
