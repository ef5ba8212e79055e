using NtkDynamics.Nn;
using NtkDynamics.Nn.Layers;

namespace NtkDynamics.Tests.Nn;

/// <summary>Graph files: the format (defaults, typed options, inline graphs), the models they build, one-line errors naming
/// the file, the node's line, the node and the option.</summary>
public class GraphFileTests
{
    private const string Small = """
        input: [2, 6, 6]
        nodes:
          - {name: conv, kind: conv2d, out: 4, kernel: 3, padding: 1, bias: false}
          - {name: ln, kind: groupnorm, groups: 2, eps: 1e-3}
          - {name: act, kind: softplus, beta: 2}
          - name: pool
            kind: avgpool2d
            kernel: [2, 3]
            ceil_mode: true
          - {name: sum, kind: add, inputs: [pool, pool2]}
          - {name: pool2, kind: maxpool2d, kernel: [2, 3], inputs: act}
          - {name: flat, kind: flatten, inputs: [sum]}
          - {name: drop, kind: dropout, p: 0.1}
          - {name: fc, kind: linear, out: 3}
        """;

    private static Model Build(string text, int[]? input = null) => GraphFile.Parse(text, "net.yaml").Build(input, Parametrisation.Parse("standard"), 1);

    [Fact]
    public void NodesTakeThePreviousNodeAndOptionsTheirTypes()
    {
        var graph = GraphFile.Parse(Small, "net.yaml");
        Assert.Equal(new[] { 2, 6, 6 }, graph.Input);
        Assert.Equal("fc", graph.Output);
        Assert.Equal(["input"], graph.Nodes[0].Inputs);
        Assert.Equal(["conv"], graph.Nodes[1].Inputs);
        Assert.Equal(["pool", "pool2"], graph.Nodes[4].Inputs);
        Assert.Equal(["act"], graph.Nodes[5].Inputs);
        Assert.Equal(["sum"], graph.Nodes[6].Inputs);
        Assert.Equal("line 6", graph.Nodes[3].Where);
        Assert.Equal(false, graph.Nodes[0].Options["bias"]);
        Assert.Equal(1e-3, graph.Nodes[1].Options["eps"]);
        Assert.Equal(new List<object?> { 2, 3 }, graph.Nodes[3].Options["kernel"]);

        var m = graph.Build(null, Parametrisation.Parse("standard"), 1);
        Assert.Equal(3, m.Classes);
        Assert.Equal(new[] { 4, 3, 2 }, m["pool"].OutputShape); // 6x6 by 2x3 windows, ceil mode
        Assert.Equal(1e-3, ((GroupNorm)m["ln"].Layer).Epsilon);
        Assert.Equal(2, ((Softplus)m["act"].Layer).Beta);
        Assert.Equal(["conv.weight", "ln.weight", "ln.bias", "fc.weight", "fc.bias"], m.Parameters.Select(p => p.Name));
        Assert.Equal(["drop"], m.RandomState().Keys);
        Assert.Equal(4 * 2 * 9 + 8 + 3 * 24 + 3, m.ParameterCount);
        // A copy is the same architecture with the same values (its factory builds the graph again).
        var copy = m.Copy();
        Assert.Equal(m.StateDict().Keys, copy.StateDict().Keys);
        Assert.Equal(m.StateDict()["fc.weight"].Data, copy.StateDict()["fc.weight"].Data);
        Assert.Equal(m.RandomState()["drop"], copy.RandomState()["drop"]);
    }

    [Fact]
    public void ThePlainFormReadsBackAsTheSameGraph()
    {
        var graph = GraphFile.Parse(Small, "net.yaml");
        string yaml = new YamlDotNet.Serialization.SerializerBuilder().Build().Serialize(graph.ToPlain());
        var again = GraphFile.Parse(yaml, "again.yaml");
        Assert.Equal(graph.Input, again.Input);
        Assert.Equal(graph.Output, again.Output);
        Assert.Equal(graph.Nodes.Select(n => (n.Name, n.Kind, string.Join(",", n.Inputs))), again.Nodes.Select(n => (n.Name, n.Kind, string.Join(",", n.Inputs))));
        var a = graph.Build(null, Parametrisation.Parse("standard"), 4);
        var b = again.Build(null, Parametrisation.Parse("standard"), 4);
        Assert.Equal(a.Nodes.Select(n => n.Layer.Describe()), b.Nodes.Select(n => n.Layer.Describe()));
        Assert.Equal(a.StateDict()["conv.weight"].Data, b.StateDict()["conv.weight"].Data);
    }

    [Fact]
    public void TheInputShapeComesFromTheFileOrTheCallerAndMustAgree()
    {
        string noInput = "nodes:\n  - {name: flat, kind: flatten}\n  - {name: fc, kind: linear, out: 2}\n";
        Assert.Equal(new[] { 12 }, Build(noInput, [3, 2, 2])["flat"].OutputShape);
        InputErrors.Assert(() => Build(noInput), "net.yaml", "input: the graph does not say its input shape");
        InputErrors.Assert(() => Build(Small, [3, 6, 6]), "net.yaml", "input: the graph takes [2, 6, 6], but is given [3, 6, 6]");
        InputErrors.Assert(() => Build("input: [12]\n" + noInput, [3, 2, 2]), "net.yaml", "(read them through a flatten node)");
    }

    public static TheoryData<string, string> BadGraphs() => new()
    {
        { "nodes: []", "nodes: expected a list of nodes" },
        { "input: [3, x]\nnodes: [{name: a, kind: relu}]", "line 1: input: expected the input shape" },
        { "inputs: [3]\nnodes: [{name: a, kind: relu}]", "line 1: unknown key 'inputs' (expected input, output, nodes)" },
        { "nodes:\n  - {kind: relu}", "line 2: nodes[0]: a node needs a name" },
        { "nodes:\n  - {name: a}", "line 2: nodes[0] 'a': a node needs a kind (one of" },
        { "nodes:\n  - {name: a, kind: relu, inputs: {x: 1}}", "node 'a': inputs: expected a node name or a list of them" },
        { "nodes:\n  - {name: a, kind: conv2d, out: {x: 1}}", "node 'a' (conv2d): out: expected a number, true/false, a name or a list of them" },
        { "nodes:\n  - {name: a, kind: relu\n", "not valid YAML" },
        { "input: [3, 4, 4]\nnodes:\n  - {name: a, kind: relu}\n  - {name: b, kind: convolution}", "net.yaml: line 4: node 'b' (convolution): kind: 'convolution' is not a layer kind" },
        { "input: [3, 4, 4]\nnodes:\n  - {name: a, kind: avgpool2d, kernel: 2, ceil: true}", "line 3: node 'a' (avgpool2d): unknown option 'ceil' (expected kernel, stride, padding, ceil_mode, count_include_pad)" },
        { "input: [3, 4, 4]\nnodes:\n  - {name: a, kind: groupnorm, groups: 2}", "line 3: node 'a' (groupnorm): GroupNorm: the 3 channels must split into 2 groups" },
        { "input: [3, 4, 4]\nnodes:\n  - {name: a, kind: dropout, p: 2}", "line 3: node 'a' (dropout): Dropout: p must be in [0, 1], got 2" },
        { "input: [3, 4, 4]\nnodes:\n  - {name: a, kind: layernorm, normalized_shape: [4, 5]}\n  - {name: f, kind: flatten}", "line 3: node 'a': LayerNorm([4, 5]): expected input [N, ..., 4, 5], got [1, 3, 4, 4]" },
        { "input: [3, 4, 4]\nnodes:\n  - {name: a, kind: relu}\n  - {name: f, kind: flatten}\n  - {name: b, kind: add, inputs: [a, f]}", "line 5: node 'b': Add: inputs of shapes [3, 4, 4] and [48] do not meet" },
        { "input: [3, 4, 4]\nnodes:\n  - {name: a, kind: relu, inputs: [c]}\n  - {name: c, kind: relu, inputs: [a]}\n  - {name: f, kind: flatten}", "the graph has a cycle through node 'a'" },
        { "input: [3, 4, 4]\nnodes:\n  - {name: a, kind: relu, inputs: [nowhere]}\n  - {name: f, kind: flatten}", "node 'a' reads 'nowhere', which is not a node" },
        { "input: [3, 4, 4]\nnodes:\n  - {name: a, kind: relu}\n  - {name: a, kind: flatten}", "node name 'a' is used twice" },
        { "input: [3, 4, 4]\nnodes:\n  - {name: a, kind: relu}\n  - {name: f, kind: flatten, inputs: input}", "node 'a' does not lead to the output 'f'" },
        { "input: [3, 4, 4]\noutput: z\nnodes:\n  - {name: a, kind: relu}", "the output 'z' is not a node" },
        { "input: [3, 4, 4]\nnodes:\n  - {name: a, kind: relu}", "the output node 'a' gives [-1, 3, 4, 4], expected logits [N, classes]" },
    };

    [Theory]
    [MemberData(nameof(BadGraphs))]
    public void BadGraphsAreOneLineErrorsNamingTheFileAndNode(string text, string expected) =>
        InputErrors.Assert(() => Build(text), expected.StartsWith("the output node") ? "graph net.yaml (input [3, 4, 4])" : "net.yaml", expected);
}
