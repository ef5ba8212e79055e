using System.Globalization;
using NtkDynamics.Tensors;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace NtkDynamics.Nn;

/// <summary>
/// A model graph declared in YAML (or JSON), as a file or inline under an experiment config's model.graph:
/// <code>
/// input: [3, 32, 32]          # optional: an experiment takes its data's image shape (and checks it when given)
/// output: fc                  # optional: the last node
/// nodes:
///   - {name: conv1, kind: conv2d, out: 16, kernel: 3, padding: 1, bias: false}   # inputs: the previous node (first: input)
///   - {name: bn1, kind: batchnorm2d}
///   - {name: add, kind: add, inputs: [bn1, input]}
///   ...
/// </code>
/// Every key of a node besides name, kind and inputs is an option of its layer kind (<see cref="LayerKinds"/>); channels
/// and features are inferred. Parsing checks the file's structure; <see cref="Build"/> makes the layers, and its errors
/// name the file, the node's line, the node and the option.
/// </summary>
public sealed class GraphFile
{
    private static readonly string[] TopKeys = ["input", "output", "nodes"];

    /// <summary>Where the graph comes from, first in every error: "net.yaml", or "exp.yaml: model.graph" for an inline one.</summary>
    public string Source { get; }

    /// <summary>The input shape without the batch, when the graph declares it.</summary>
    public int[]? Input { get; }

    /// <summary>The output node's name.</summary>
    public string Output { get; }

    public IReadOnlyList<DeclaredNode> Nodes { get; }

    private GraphFile(string source, int[]? input, string output, IReadOnlyList<DeclaredNode> nodes)
    {
        Source = source; Input = input; Output = output; Nodes = nodes;
    }

    /// <summary>The same graph under another source (its name in descriptions and errors).</summary>
    public GraphFile WithSource(string source) => new(source, Input, Output, Nodes);

    /// <summary>Reads and parses a graph file; errors name <paramref name="path"/>.</summary>
    public static GraphFile Load(string path)
    {
        if (Directory.Exists(path)) throw new InputException($"{path}: is a folder, expected a graph file (.yaml)");
        if (!File.Exists(path)) throw new InputException($"{path}: no such graph file");
        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>Parses the text of a graph file.</summary>
    public static GraphFile Parse(string text, string source)
    {
        var stream = new YamlStream();
        try { stream.Load(new StringReader(text)); }
        catch (YamlException e) { throw new InputException($"{source}: line {e.Start.Line}: not valid YAML: {e.Message.Split('\n')[0]}"); }
        if (stream.Documents.Count != 1 || stream.Documents[0].RootNode is not YamlMappingNode map)
            throw new InputException($"{source}: expected one mapping with nodes: (and optionally input: and output:)");
        return FromYaml(map, source);
    }

    /// <summary>Whether YAML text looks like a graph (a mapping with nodes:) rather than an experiment config.</summary>
    public static bool IsGraph(YamlMappingNode map) => map.Children.ContainsKey(new YamlScalarNode("nodes"));

    /// <summary>A graph from its YAML mapping (a file's, or inline in a config).</summary>
    public static GraphFile FromYaml(YamlMappingNode map, string source)
    {
        InputException Error(YamlNode at, string what) => new($"{source}: line {at.Start.Line}: {what}");
        foreach (var key in map.Children.Keys)
            if (key is not YamlScalarNode { Value: { } k } || !TopKeys.Contains(k))
                throw Error(key, $"unknown key '{key}' (expected {string.Join(", ", TopKeys)})");
        int[]? input = null;
        if (Get(map, "input") is { } inputNode)
        {
            input = inputNode is YamlSequenceNode seq && seq.Children.Count > 0 && seq.All(d => d is YamlScalarNode s && int.TryParse(s.Value, out int v) && v >= 1)
                ? seq.Select(d => int.Parse(((YamlScalarNode)d).Value!, CultureInfo.InvariantCulture)).ToArray()
                : throw Error(inputNode, "input: expected the input shape without the batch, a list of sizes >= 1 such as [3, 32, 32]");
        }
        if (Get(map, "nodes") is not YamlSequenceNode { Children.Count: > 0 } list)
            throw Error(map, "nodes: expected a list of nodes ({name: ..., kind: ..., ...})");
        var nodes = new List<DeclaredNode>();
        string previous = Model.InputName;
        for (int i = 0; i < list.Children.Count; i++)
        {
            if (list.Children[i] is not YamlMappingNode n) throw Error(list.Children[i], $"nodes[{i}]: expected a mapping ({{name: ..., kind: ..., ...}})");
            string name = Text(n, "name", () => Error(n, $"nodes[{i}]: a node needs a name"));
            string kind = Text(n, "kind", () => Error(n, $"nodes[{i}] '{name}': a node needs a kind (one of {string.Join(", ", LayerKinds.Names)})"));
            IReadOnlyList<string> inputs = Get(n, "inputs") switch
            {
                null => [previous],
                YamlScalarNode { Value: { Length: > 0 } one } => [one],
                YamlSequenceNode s when s.All(e => e is YamlScalarNode { Value.Length: > 0 }) => s.Select(e => ((YamlScalarNode)e).Value!).ToArray(),
                var bad => throw Error(bad, $"node '{name}': inputs: expected a node name or a list of them"),
            };
            var options = new Dictionary<string, object?>();
            foreach (var (key, value) in n.Children)
            {
                string k = key is YamlScalarNode { Value: { } kk } ? kk : throw Error(key, $"node '{name}': a key is not a plain name");
                if (k is "name" or "kind" or "inputs") continue;
                options[k] = Value(value) ?? throw Error(value, $"node '{name}' ({kind}): {k}: expected a number, true/false, a name or a list of them");
            }
            nodes.Add(new DeclaredNode(name, kind, inputs, options, $"line {n.Start.Line}"));
            previous = name;
        }
        string output = Get(map, "output") switch
        {
            null => previous,
            YamlScalarNode { Value: { Length: > 0 } o } => o,
            var bad => throw Error(bad, "output: expected the name of the output node"),
        };
        return new GraphFile(source, input, output, nodes);
    }

    private static YamlNode? Get(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var v) && v is not YamlScalarNode { Value: null or "" or "~" or "null", Style: ScalarStyle.Plain } ? v : null;

    private static string Text(YamlMappingNode map, string key, Func<InputException> missing) =>
        Get(map, key) is YamlScalarNode { Value: { Length: > 0 } v } ? v : throw missing();

    // An option's value as a layer kind reads it: plain scalars typed (true/false, integers, numbers, else names), quoted
    // ones strings, lists of those; null for a mapping (not an option value).
    private static object? Value(YamlNode node) => node switch
    {
        YamlScalarNode { Style: ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted } s => s.Value ?? "",
        YamlScalarNode { Value: "true" or "True" } => true,
        YamlScalarNode { Value: "false" or "False" } => false,
        YamlScalarNode s when long.TryParse(s.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out long l) => l is >= int.MinValue and <= int.MaxValue ? (int)l : (object)l,
        YamlScalarNode s when double.TryParse(s.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) => d,
        YamlScalarNode s => s.Value ?? "",
        YamlSequenceNode seq => seq.Children.Select(Value).ToList() is var items && items.All(v => v is not null) ? items : null,
        _ => null,
    };

    /// <summary>
    /// The model: input shape <paramref name="inputShape"/> (or the graph's own when null; when both are given they must
    /// agree), every layer made from its options, initialised from <paramref name="seed"/>; its <see cref="Model.Copy"/>
    /// builds it again. Errors are one line naming the source, the node's line, the node and the option.
    /// </summary>
    public Model Build(int[]? inputShape, Parametrisation parametrisation, ulong seed)
    {
        var shape = inputShape ?? Input ?? throw new InputException($"{Source}: input: the graph does not say its input shape (add input: [C, H, W])");
        if (Input is { } declared && inputShape is not null && !declared.SequenceEqual(inputShape))
            throw new InputException($"{Source}: input: the graph takes {Tensor.Format(declared)}, but is given {Tensor.Format(inputShape)}{(inputShape.Length > 1 && declared.Length == 1 ? " (read them through a flatten node)" : "")}");
        Model Again() => Build(inputShape, parametrisation, seed);
        return LayerKinds.Build(Source, $"graph {Source} (input {Tensor.Format(shape)})", shape, Nodes, Output, Again).Initialise(parametrisation, seed);
    }

    /// <summary>The graph as plain YAML values (mappings, lists, scalars), to write it back inline (a run's resolved config).</summary>
    public Dictionary<string, object?> ToPlain()
    {
        static object? Plain(object? v) => v switch
        {
            double d => d.ToString("R", CultureInfo.InvariantCulture),
            System.Collections.IList l => l.Cast<object?>().Select(Plain).ToList(),
            _ => v,
        };
        var plain = new Dictionary<string, object?>();
        if (Input is not null) plain["input"] = Input;
        plain["output"] = Output;
        plain["nodes"] = Nodes.Select(n => new Dictionary<string, object?> { ["name"] = n.Name, ["kind"] = n.Kind, ["inputs"] = n.Inputs.ToArray() }
            .Concat(n.Options.Select(o => KeyValuePair.Create(o.Key, Plain(o.Value)))).ToDictionary()).ToList();
        return plain;
    }
}
