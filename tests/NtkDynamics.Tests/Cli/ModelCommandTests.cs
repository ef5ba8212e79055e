using NtkDynamics.Experiments;
using NtkDynamics.Nn;
using NtkDynamics.Tests.Data;
using NtkDynamics.Tests.Experiments;
using static NtkDynamics.Tests.Cli.InputCheckTests;

namespace NtkDynamics.Tests.Cli;

/// <summary>`ntk model show` for graph files, experiment configs and the built-ins; bad graphs through the CLI (and `ntk run`):
/// exit 2 and one line naming the file and the node.</summary>
[Collection("Console")]
public class ModelCommandTests
{
    private const string Net = """
        input: [3, 8, 8]
        nodes:
          - {name: conv1, kind: conv2d, out: 4, kernel: 3, padding: 1, bias: false}
          - {name: bn1, kind: batchnorm2d}
          - {name: act, kind: gelu}
          - {name: res, kind: add, inputs: [act, conv1]}
          - {name: pool, kind: avgpool2d, kernel: 2}
          - {name: flat, kind: flatten}
          - {name: fc, kind: linear, out: 10}
        """;

    // The table's rows: node, then its output shape, then its parameter count last.
    private static string[] Row(string output, string node) =>
        output.Split('\n').Select(l => l.Split("  ", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).First(c => c.Length > 0 && c[0] == node);

    [Fact]
    public void ShowsEveryNodeOfAGraphFileWithItsShapeAndParameters()
    {
        using var dir = new TempFolder();
        string net = dir.File("net.yaml");
        File.WriteAllText(net, Net);
        var (code, output, error) = CliRunner.Run("model", "show", net);
        Assert.True(code == 0, error);
        var model = GraphFile.Load(net).Build(null, Parametrisation.Parse("standard"), 0);
        foreach (var node in model.Nodes)
        {
            var row = Row(output, node.Name);
            Assert.Equal(NtkDynamics.Tensors.Tensor.Format(node.OutputShape), row[^2]);
            Assert.Equal(node.Layer.Parameters.Sum(p => p.Value.Length).ToString("N0"), row[^1]);
        }
        Assert.Equal(["conv1", "bn1", "act", "res", "pool", "flat", "fc"], model.Nodes.Skip(1).Select(n => n.Name));
        Assert.Equal("act, conv1", Row(output, "res")[2]);
        Assert.Equal("[4, 4, 4]", Row(output, "pool")[^2]);
        Assert.Contains($"total: {108 + 8 + 650:N0} parameters in 5 tensors; buffers: 9 values in 3 tensors", output);

        // Without input: in the file, --input gives it (another size: other shapes and a larger fc).
        File.WriteAllText(net, Net.Replace("input: [3, 8, 8]\n", ""));
        Assert.Equal(2, CliRunner.Run("model", "show", net).Code);
        (code, output, error) = CliRunner.Run("model", "show", net, "--input", "3,12,12");
        Assert.True(code == 0, error);
        Assert.Equal("[4, 6, 6]", Row(output, "pool")[^2]);
        Assert.Equal($"{144 * 10 + 10:N0}", Row(output, "fc")[^1]);
    }

    [Theory]
    [InlineData("cnn", new[] { "--width", "16" })]
    [InlineData("mlp", new[] { "--hidden", "64,32", "--channels", "1", "--image-size", "28" })]
    [InlineData("resnet18", new[] { "--width", "20" })]
    public void ShowsTheBuiltIns(string kind, string[] options)
    {
        var (code, output, error) = CliRunner.Run(["model", "show", kind, .. options]);
        Assert.True(code == 0, error);
        var spec = kind switch
        {
            "cnn" => ModelSpec.Cnn(16, 3, 32, 10),
            "mlp" => ModelSpec.Mlp([1, 28, 28], [64, 32], 10),
            _ => ModelSpec.ResNet18(20, 3, 32, 10),
        };
        var model = spec.Build(Parametrisation.Parse("standard"), 0);
        Assert.StartsWith(model.Description, output);
        Assert.Contains($"total: {model.ParameterCount:N0} parameters", output);
        foreach (var node in model.Nodes) Assert.Equal(NtkDynamics.Tensors.Tensor.Format(node.OutputShape), Row(output, node.Name)[^2]);
        if (kind == "resnet18") Assert.Equal("[160]", Row(output, "pool")[^2]);
    }

    [Fact]
    public void ShowsTheModelOfAnExperimentConfigAsARunBuildsIt()
    {
        using var dir = new TempFolder();
        string net = dir.File("net.yaml"), config = dir.File("e.yaml");
        File.WriteAllText(net, "nodes:\n  - {name: flat, kind: flatten}\n  - {name: ln, kind: layernorm}\n  - {name: fc, kind: linear, out: 10}\n");
        File.WriteAllText(config, RunnerTests.TinyYaml("e", dir.Path).Replace("model: {kind: cnn, width: 8}", $"model: {{graph: {net}}}"));
        var (code, output, error) = CliRunner.Run("model", "show", config);
        Assert.True(code == 0, error);
        Assert.Equal("[784]", Row(output, "ln")[^2]); // the embedded Fashion-MNIST's 1 x 28 x 28, flattened
        Assert.Contains($"total: {2 * 784 + 7850:N0} parameters", output);
        File.WriteAllText(config, RunnerTests.TinyYaml("e", dir.Path));
        (code, output, error) = CliRunner.Run("model", "show", config);
        Assert.True(code == 0, error);
        Assert.StartsWith("CNN(width 8, input [1, 28, 28], 10 classes)", output);
    }

    public static TheoryData<string, string, string> BadGraphs() => new()
    {
        { "a cycle", "  - {name: a, kind: relu, inputs: [b]}\n  - {name: b, kind: relu, inputs: [a]}\n  - {name: flat, kind: flatten}\n  - {name: fc, kind: linear, out: 2}\n",
            "the graph has a cycle through node 'a'" },
        { "a dangling input", "  - {name: flat, kind: flatten, inputs: [convv]}\n  - {name: fc, kind: linear, out: 2}\n", "node 'flat' reads 'convv', which is not a node" },
        { "an unknown layer", "  - {name: c, kind: conv3d, out: 2, kernel: 3}\n  - {name: flat, kind: flatten}\n  - {name: fc, kind: linear, out: 2}\n",
            "line 3: node 'c' (conv3d): kind: 'conv3d' is not a layer kind (expected one of" },
        { "an unknown option", "  - {name: c, kind: conv2d, out: 2, kernel: 3, dilation: 2}\n  - {name: flat, kind: flatten}\n  - {name: fc, kind: linear, out: 2}\n",
            "line 3: node 'c' (conv2d): unknown option 'dilation' (expected out, kernel, stride, padding, bias)" },
        { "shapes that do not meet at an Add", "  - {name: c, kind: conv2d, out: 4, kernel: 3}\n  - {name: sum, kind: add, inputs: [c, input]}\n  - {name: flat, kind: flatten}\n  - {name: fc, kind: linear, out: 2}\n",
            "line 4: node 'sum': Add: inputs of shapes [4, 6, 6] and [3, 8, 8] do not meet" },
    };

    [Theory]
    [MemberData(nameof(BadGraphs))]
    public void BadGraphsAreOneLineNamingTheNodeWithExitCode2(string what, string nodes, string expected)
    {
        using var dir = new TempFolder();
        string net = dir.File("bad.yaml");
        File.WriteAllText(net, "input: [3, 8, 8]\nnodes:\n" + nodes);
        var shown = CliRunner.Run("model", "show", net);
        AssertBadInput(shown, net, expected);
        Assert.Equal("", shown.Out); // nothing half-printed

        // The same graph in an experiment: `ntk run` stops before writing anything.
        string runs = Directory.CreateDirectory(Path.Combine(dir.Path, "runs")).FullName, config = dir.File("e.yaml");
        File.WriteAllText(net, "nodes:\n" + nodes);
        File.WriteAllText(config, RunnerTests.TinyYaml("e", runs).Replace("model: {kind: cnn, width: 8}", $"model: {{graph: {net}}}")
            .Replace("data: {dataset: embedded, ", "data: {dataset: embedded, image_size: 8, "));
        AssertBadInput(CliRunner.Run("run", config, "--quiet"), $"{config}: model.graph: {net}", expected.Replace("line 3", "line 2").Replace("line 4", "line 3").Replace("[3, 8, 8]", "[1, 8, 8]"));
        Assert.Empty(Directory.EnumerateFileSystemEntries(runs));
        Assert.NotNull(what);
    }

    [Fact]
    public void BadTargetsAndOptionsAreOneLineErrors()
    {
        using var dir = new TempFolder();
        AssertBadInput(CliRunner.Run("model", "show", dir.File("none.yaml")), dir.File("none.yaml"), "no such file (and not a built-in model: cnn, mlp, resnet18)");
        AssertBadInput(CliRunner.Run("model", "show", "resnet18", "--hidden", "4"), "--hidden", "only for mlp");
        AssertBadInput(CliRunner.Run("model", "show", "mlp", "--hidden", "4,x"), "--hidden", "'4,x' is not a comma-separated list of sizes >= 1");
        string net = dir.File("net.yaml");
        File.WriteAllText(net, Net);
        AssertBadInput(CliRunner.Run("model", "show", net, "--width", "3"), "--width, --hidden", "only for a built-in model");
        AssertBadInput(CliRunner.Run("model", "show", net, "--input", "3,4,4"), net, "input: the graph takes [3, 8, 8], but is given [3, 4, 4]");
    }
}
