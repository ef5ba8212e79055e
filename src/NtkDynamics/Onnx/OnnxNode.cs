using System.Text;
using NtkDynamics.Formats;
using NtkDynamics.Onnx.Proto;

namespace NtkDynamics.Onnx;

/// <summary>A node attribute: its ONNX type (AttributeProto.AttributeType) and value.</summary>
public sealed record OnnxAttribute(string Name, int Type, float F = 0, long I = 0, string S = "", NdArray? T = null,
    float[]? Floats = null, long[]? Ints = null)
{
    /// <summary>The type's name in the spec ("INTS").</summary>
    public string TypeName => Type switch
    {
        AttributeProto.Float => "FLOAT", AttributeProto.Int => "INT", AttributeProto.String => "STRING",
        AttributeProto.Tensor => "TENSOR", AttributeProto.Graph => "GRAPH", AttributeProto.Floats => "FLOATS",
        AttributeProto.Ints => "INTS", AttributeProto.Strings => "STRINGS", _ => $"type {Type}",
    };
}

/// <summary>
/// One operator application of the imported graph: its op, the values it reads and writes (by name) and its attributes.
/// Typed attribute getters fall back to the spec's default and name the node in errors.
/// </summary>
public sealed class OnnxNode
{
    public string Name { get; }
    public string OpType { get; }
    public IReadOnlyList<string> Inputs { get; }
    public IReadOnlyList<string> Outputs { get; }
    public IReadOnlyDictionary<string, OnnxAttribute> Attributes { get; }

    /// <summary>The file, for error messages.</summary>
    public string Source { get; }

    public OnnxNode(string name, string opType, IReadOnlyList<string> inputs, IReadOnlyList<string> outputs,
        IReadOnlyDictionary<string, OnnxAttribute> attributes, string source)
    {
        Name = name; OpType = opType; Inputs = inputs; Outputs = outputs; Attributes = attributes; Source = source;
    }

    /// <summary>The same node with other inputs or attributes (load-time rewrites).</summary>
    internal OnnxNode With(IReadOnlyList<string>? inputs = null, IReadOnlyDictionary<string, OnnxAttribute>? attributes = null) =>
        new(Name, OpType, inputs ?? Inputs, Outputs, attributes ?? Attributes, Source);

    /// <summary>"node '/layer1/conv1/Conv' (Conv)".</summary>
    public override string ToString() => $"node '{Name}' ({OpType})";

    /// <summary>An <see cref="InputException"/> "file.onnx: node 'n' (Op): <paramref name="what"/>".</summary>
    public InputException Error(string what) => new($"{Source}: {this}: {what}");

    /// <summary>The i-th input's name, or "" when absent (optional inputs may be left out or given as "").</summary>
    public string Input(int i) => i < Inputs.Count ? Inputs[i] : "";

    public bool Has(string attribute) => Attributes.ContainsKey(attribute);

    public long Int(string name, long fallback) => Get(name, AttributeProto.Int)?.I ?? fallback;

    public float Float(string name, float fallback) => Get(name, AttributeProto.Float)?.F ?? fallback;

    public string String(string name, string fallback) => Get(name, AttributeProto.String)?.S ?? fallback;

    public long[] Ints(string name, long[] fallback) => Get(name, AttributeProto.Ints)?.Ints ?? fallback;

    public float[] Floats(string name, float[] fallback) => Get(name, AttributeProto.Floats)?.Floats ?? fallback;

    public NdArray? Tensor(string name) => Get(name, AttributeProto.Tensor)?.T;

    private OnnxAttribute? Get(string name, int type)
    {
        if (!Attributes.TryGetValue(name, out var a)) return null;
        if (a.Type != type)
            throw Error($"attribute '{name}' is {a.TypeName}, expected {new OnnxAttribute(name, type).TypeName}");
        return a;
    }

    /// <summary>Reads a NodeProto's attributes; tensors are converted, other kinds (graphs, strings) keep only their type.</summary>
    internal static Dictionary<string, OnnxAttribute> ReadAttributes(NodeProto n, string where)
    {
        var attributes = new Dictionary<string, OnnxAttribute>();
        foreach (var a in n.Attribute)
        {
            string what = $"{where}: attribute '{a.Name}'";
            var attribute = a.Type switch
            {
                AttributeProto.Float => new OnnxAttribute(a.Name, a.Type, F: a.F),
                AttributeProto.Int => new OnnxAttribute(a.Name, a.Type, I: a.I),
                AttributeProto.String => new OnnxAttribute(a.Name, a.Type, S: Encoding.UTF8.GetString(a.S)),
                AttributeProto.Tensor when a.T is not null => new OnnxAttribute(a.Name, a.Type, T: OnnxTensors.ToArray(a.T, what)),
                AttributeProto.Floats => new OnnxAttribute(a.Name, a.Type, Floats: [.. a.FloatList]),
                AttributeProto.Ints => new OnnxAttribute(a.Name, a.Type, Ints: [.. a.IntList]),
                _ => new OnnxAttribute(a.Name, a.Type),
            };
            if (!attributes.TryAdd(a.Name, attribute)) throw new InputException($"{what} is given twice");
        }
        return attributes;
    }
}
