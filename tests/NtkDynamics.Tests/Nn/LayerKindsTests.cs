using NtkDynamics.Nn;
using NtkDynamics.Nn.Layers;

namespace NtkDynamics.Tests.Nn;

/// <summary>Graphs declared as a graph file declares them: layer kinds, options, inferred channels, one-line errors.</summary>
public class LayerKindsTests
{
    private static DeclaredNode N(string name, string kind, string[] inputs, params (string Key, object? Value)[] options) =>
        new(name, kind, inputs, options.ToDictionary(o => o.Key, o => o.Value));

    private static Model Build(params DeclaredNode[] nodes) => LayerKinds.Build("net.yaml", "net", [3, 8, 8], nodes, nodes[^1].Name);

    [Fact]
    public void KindsMakeTheirLayersWithChannelsFromTheInputs()
    {
        // Declared out of order: the file's order does not matter.
        var m = Build(
            N("bn", "batchnorm2d", ["conv"]),
            N("conv", "conv2d", ["input"], ("out", 4), ("kernel", 3), ("padding", 1), ("stride", 2), ("bias", false)),
            N("relu", "relu", ["bn"]),
            N("short", "conv2d", ["input"], ("out", 4), ("kernel", new List<object> { 1, 1 }), ("stride", "2")),
            N("sum", "add", ["relu", "short"]),
            N("pool", "maxpool2d", ["sum"], ("kernel", 2)),
            N("gap", "global_avg_pool2d", ["pool"]),
            N("fc", "linear", ["gap"], ("out", 5)));
        Assert.Equal(new[] { "input", "conv", "bn", "relu", "short", "sum", "pool", "gap", "fc" }, m.Nodes.Select(n => n.Name));
        var conv = (Conv2d)m["conv"].Layer;
        Assert.Equal((3, 4, Window2d.Square(3, 2, 1)), (conv.InChannels, conv.OutChannels, conv.Window));
        Assert.Null(conv.Bias);
        Assert.Equal(4, ((BatchNorm)m["bn"].Layer).Channels);
        Assert.Equal(new[] { 4, 2, 2 }, m["pool"].OutputShape);
        Assert.Equal(5, m.Classes);
        Assert.Equal(new[] { 4, 4 }, m["short"].OutputShape[1..]);
        Assert.Contains("conv2d", LayerKinds.Names);
    }

    [Fact]
    public void BadNodesAreOneLineErrorsNamingTheNodeAndOption()
    {
        void Bad(string expected, params DeclaredNode[] nodes)
        {
            var e = Assert.Throws<InputException>(() => Build(nodes));
            Assert.Contains(expected, e.Message);
            Assert.StartsWith("net.yaml: ", e.Message);
            Assert.DoesNotContain('\n', e.Message);
        }
        var fc = N("fc", "linear", ["flat"], ("out", 2));
        var flat = N("flat", "flatten", ["input"]);
        Bad("node 'x' (convolution): kind: 'convolution' is not a layer kind (expected one of", N("x", "convolution", ["input"]), N("flat", "flatten", ["x"]), fc);
        Bad("node 'c' (conv2d): unknown option 'kernal' (expected out, kernel, stride, padding, bias)",
            N("c", "conv2d", ["input"], ("out", 2), ("kernel", 3), ("kernal", 3)), N("flat", "flatten", ["c"]), N("fc", "linear", ["flat"], ("out", 2)));
        Bad("node 'c' (conv2d): kernel: missing", N("c", "conv2d", ["input"], ("out", 2)), N("flat", "flatten", ["c"]), N("fc", "linear", ["flat"], ("out", 2)));
        Bad("node 'c' (conv2d): out: expected an integer, got 'many'", N("c", "conv2d", ["input"], ("out", "many"), ("kernel", 3)), N("flat", "flatten", ["c"]), N("fc", "linear", ["flat"], ("out", 2)));
        Bad("node 'c' (conv2d): stride: must be >= 1, got 0", N("c", "conv2d", ["input"], ("out", 2), ("kernel", 3), ("stride", 0)), N("flat", "flatten", ["c"]), N("fc", "linear", ["flat"], ("out", 2)));
        Bad("node 'fc' (linear): input: expected features [F] (add a flatten node before)", N("fc", "linear", ["input"], ("out", 2)));
        Bad("node 'fc' reads 'flatt', which is not a node", flat, N("fc", "linear", ["flatt"], ("out", 2)));
        Bad("cycle", N("a", "relu", ["b"]), N("b", "relu", ["a"]), N("flat", "flatten", ["b"]), fc);
        Bad("node 'sum': Add: inputs of shapes [3, 8, 8] and [3, 4, 4] do not meet",
            N("pool", "maxpool2d", ["input"], ("kernel", 2)), N("sum", "add", ["input", "pool"]), N("flat", "flatten", ["sum"]), N("fc", "linear", ["flat"], ("out", 2)));
    }
}
