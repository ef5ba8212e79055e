using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace NtkDynamics.Experiments;

/// <summary>
/// A mapping of a YAML (or JSON) config with typed getters that name the full key in every error
/// ("experiment.yaml: train.lr: expected a number or a formula of width, got 'fast'") and that remember which keys
/// were read, so unknown keys can be rejected.
/// </summary>
public sealed class ConfigNode
{
    private readonly YamlMappingNode _map;
    private readonly HashSet<string> _read = [];
    private readonly List<ConfigNode> _children = [];

    /// <summary>The file (for errors) and the dotted path of this mapping ("" at the root).</summary>
    public string Source { get; }
    public string Path { get; }

    private ConfigNode(YamlMappingNode map, string source, string path) { _map = map; Source = source; Path = path; }

    /// <summary>Parses YAML or JSON text whose top level is a mapping.</summary>
    public static ConfigNode Parse(string text, string source)
    {
        var stream = new YamlStream();
        try { stream.Load(new StringReader(text)); }
        catch (YamlDotNet.Core.YamlException e) { throw new InputException($"{source}: not valid YAML/JSON at line {e.Start.Line}, column {e.Start.Column}: {e.Message.Split('\n')[0]}"); }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or IndexOutOfRangeException or FormatException or OverflowException)
        {
            // YamlDotNet's scanner fails this way on some damaged text.
            throw new InputException($"{source}: not valid YAML/JSON ({e.Message.Split('\n')[0]})");
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" })
            throw new InputException($"{source}: the file is empty (expected a mapping of keys: model:, data:, stream:, ...; write {{}} for every default)");
        if (stream.Documents.Count > 1) throw new InputException($"{source}: holds {stream.Documents.Count} YAML documents (---), expected one");
        if (stream.Documents[0].RootNode is not YamlMappingNode map)
            throw new InputException($"{source}: the top level must be a mapping of keys (model:, data:, ...)");
        return new ConfigNode(map, source, "");
    }

    /// <summary>Wraps a mapping already parsed (a sweep cell's experiment).</summary>
    public static ConfigNode FromMapping(YamlMappingNode map, string source) => new(map, source, "");

    public static ConfigNode Load(string path)
    {
        if (!File.Exists(path)) throw new InputException($"{path}: no such config file");
        return Parse(File.ReadAllText(path), path);
    }

    public string Key(string name) => Path.Length == 0 ? name : $"{Path}.{name}";

    public InputException Error(string name, string what) => new($"{Source}: {Key(name)}: {what}");

    private YamlNode? Get(string name)
    {
        _read.Add(name);
        return _map.Children.TryGetValue(new YamlScalarNode(name), out var node) && !IsNull(node) ? node : null;
    }

    private static bool IsNull(YamlNode node) => node is YamlScalarNode { Value: null or "" or "null" or "~", Style: not YamlDotNet.Core.ScalarStyle.SingleQuoted and not YamlDotNet.Core.ScalarStyle.DoubleQuoted };

    /// <summary>The value of a key as YAML (null when absent), for a reader of its own (an inline model graph).</summary>
    public YamlNode? Yaml(string name) => Get(name);

    /// <summary>Marks a key as known whose contents another reader checks (a sweep's grid, an inline experiment).</summary>
    public void Accept(string name) => _read.Add(name);

    public bool Has(string name) => _map.Children.ContainsKey(new YamlScalarNode(name)) && Get(name) is not null;

    /// <summary>The nested mapping (empty when absent).</summary>
    public ConfigNode Child(string name)
    {
        var node = Get(name);
        var child = node switch
        {
            null => new ConfigNode(new YamlMappingNode(), Source, Key(name)),
            YamlMappingNode m => new ConfigNode(m, Source, Key(name)),
            _ => throw Error(name, "expected a mapping of keys"),
        };
        _children.Add(child);
        return child;
    }

    /// <summary>Each element of a list of mappings (key[i]).</summary>
    public IReadOnlyList<ConfigNode> Children(string name)
    {
        if (Get(name) is not { } node) return [];
        if (node is not YamlSequenceNode seq) throw Error(name, "expected a list");
        var result = new List<ConfigNode>();
        for (int i = 0; i < seq.Children.Count; i++)
        {
            if (seq.Children[i] is not YamlMappingNode m) throw new InputException($"{Source}: {Key(name)}[{i}]: expected a mapping of keys");
            result.Add(new ConfigNode(m, Source, $"{Key(name)}[{i}]"));
        }
        _children.AddRange(result);
        return result;
    }

    public string? String(string name, string? fallback = null) => Get(name) switch
    {
        null => fallback,
        YamlScalarNode s => s.Value,
        _ => throw Error(name, "expected a single value"),
    };

    /// <summary>One of <paramref name="allowed"/>.</summary>
    public string Choice(string name, string fallback, params string[] allowed)
    {
        string v = String(name, fallback)!;
        if (!allowed.Contains(v)) throw Error(name, $"'{v}' is not allowed (expected {string.Join(", ", allowed)})");
        return v;
    }

    public double? Double(string name, double? fallback = null)
    {
        string? s = String(name);
        if (s is null) return fallback;
        if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !double.IsFinite(v))
            throw Error(name, $"expected a number, got '{s}'");
        return v;
    }

    public int? Int(string name, int? fallback = null, int min = int.MinValue)
    {
        string? s = String(name);
        if (s is null) return fallback;
        if (!int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v))
            throw Error(name, $"expected a whole number, got '{s}'");
        if (v < min) throw Error(name, $"must be >= {min}, got {v}");
        return v;
    }

    public bool Bool(string name, bool fallback)
    {
        string? s = String(name);
        return s switch
        {
            null => fallback,
            "true" or "True" or "yes" => true,
            "false" or "False" or "no" => false,
            _ => throw Error(name, $"expected true or false, got '{s}'"),
        };
    }

    /// <summary>A list of whole numbers ([1, 2, 3]) or null when absent.</summary>
    public int[]? Ints(string name) => List(name, (s, key) =>
        int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) ? v : throw new InputException($"{Source}: {key}: expected a whole number, got '{s}'"));

    public double[]? Doubles(string name) => List(name, (s, key) =>
        double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v) ? v : throw new InputException($"{Source}: {key}: expected a number, got '{s}'"));

    /// <summary>A list of plain values as strings.</summary>
    public string[]? Strings(string name) => List(name, (s, _) => s);

    private T[]? List<T>(string name, Func<string, string, T> parse)
    {
        var node = Get(name);
        if (node is null) return null;
        if (node is YamlScalarNode single) return [parse(single.Value!, Key(name))];
        if (node is not YamlSequenceNode seq) throw Error(name, "expected a list");
        return seq.Children.Select((c, i) => c is YamlScalarNode s ? parse(s.Value!, $"{Key(name)}[{i}]") : throw new InputException($"{Source}: {Key(name)}[{i}]: expected a single value")).ToArray();
    }

    /// <summary>Throws naming the first key that nothing read (a typo or an unsupported option), here or below.</summary>
    public void RejectUnknown()
    {
        foreach (var (k, _) in _map.Children)
        {
            if (k is not YamlScalarNode { Value: { } name })
                throw new InputException($"{Source}: {(Path.Length == 0 ? "a key" : $"a key in {Path}")} at line {k.Start.Line} is not a plain name");
            if (!_read.Contains(name))
                throw new InputException($"{Source}: unknown key '{Key(name)}'{(_read.Count > 0 ? $" (allowed here: {string.Join(", ", _read.Order())})" : "")}");
        }
        foreach (var c in _children) c.RejectUnknown();
    }
}
