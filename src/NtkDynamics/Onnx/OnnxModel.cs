using NtkDynamics.Formats;

namespace NtkDynamics.Onnx;

/// <summary>The imported graph's input: its name, the per-sample shape (the batch axis 0 removed) and how the file names the batch size.</summary>
public sealed record OnnxInput(string Name, int[] SampleShape, string Batch);

/// <summary>
/// An ONNX model as we import it (docs/onnx.md): the compute nodes in topological order, the initializers (weights and
/// buffers, under their ONNX names, which are PyTorch's state-dict names for a PyTorch export), the one input and the one
/// output. Constants, Identity aliases, zero Pads and the Constant/Shape/Gather/Unsqueeze/Concat chains that compute
/// shapes are folded at load: a compute node's input is a runtime value, an initializer, or a folded constant
/// (<see cref="Constant"/>, <see cref="ShapeVector"/>). <see cref="Load"/> checks the file, the opset and every op, and
/// reports a problem as a one-line <see cref="InputException"/> naming the file (and the node).
/// </summary>
public sealed class OnnxModel
{
    private readonly IReadOnlyDictionary<string, NdArray> _constants;
    private readonly IReadOnlyDictionary<string, ShapeDim[]> _shapes;
    private readonly Dictionary<string, OnnxTensor> _initializers;

    /// <summary>The file it was read from.</summary>
    public string Path { get; }

    public long IrVersion { get; }

    /// <summary>The version of the standard operator set the model imports.</summary>
    public int Opset { get; }

    /// <summary>"pytorch 1.13.0", from the file.</summary>
    public string Producer { get; }

    public OnnxInput Input { get; }

    /// <summary>The name of the graph's one output (the logits).</summary>
    public string Output { get; }

    /// <summary>The initializers the compute nodes read, in file order.</summary>
    public IReadOnlyList<OnnxTensor> Initializers { get; }

    /// <summary>The nodes that become layers, in topological order.</summary>
    public IReadOnlyList<OnnxNode> Nodes { get; }

    /// <summary>Things a user should know about the file (a BatchNorm folded into a convolution at export).</summary>
    public IReadOnlyList<string> Warnings { get; }

    internal OnnxModel(string path, long irVersion, int opset, string producer, OnnxInput input, string output,
        IReadOnlyList<OnnxTensor> initializers, IReadOnlyList<OnnxNode> nodes, IReadOnlyDictionary<string, NdArray> constants,
        IReadOnlyDictionary<string, ShapeDim[]> shapes, IReadOnlyList<string> warnings)
    {
        Path = path; IrVersion = irVersion; Opset = opset; Producer = producer; Input = input; Output = output;
        Initializers = initializers; Nodes = nodes; _constants = constants; _shapes = shapes; Warnings = warnings;
        _initializers = initializers.ToDictionary(i => i.Name);
    }

    /// <summary>Reads and checks <paramref name="path"/>; see the class summary.</summary>
    public static OnnxModel Load(string path) => OnnxImport.Load(path);

    /// <summary>Our layer graph of this model, with its weights (<see cref="OnnxGraph.Build"/>).</summary>
    public Nn.Model ToModel(ulong seed = 0) => OnnxGraph.Build(this, seed);

    /// <summary>The initializer <paramref name="name"/>, or null when it is not one.</summary>
    public OnnxTensor? Initializer(string name) => _initializers.GetValueOrDefault(name);

    /// <summary>A folded constant (a Constant node's value, a Gemm's constant operand of a Div...), or null.</summary>
    public NdArray? Constant(string name) => _constants.GetValueOrDefault(name);

    /// <summary>A folded 1-D integer vector (a Reshape's target shape) with its symbolic entries, or null.</summary>
    public ShapeDim[]? ShapeVector(string name)
    {
        if (_shapes.TryGetValue(name, out var dims)) return dims;
        return _constants.GetValueOrDefault(name) is { DType: DType.Int64 or DType.Int32, Shape.Length: 1 } c
            ? Array.ConvertAll(c.ToInt64(), v => new ShapeDim(v))
            : null;
    }

    /// <summary>The number of parameters and buffers (elements of float initializers).</summary>
    public long InitializerElements => Initializers.Sum(i => (long)i.Value.Length);

    public override string ToString() =>
        $"{System.IO.Path.GetFileName(Path)}: {Producer}, opset {Opset}, {Nodes.Count} nodes, {Initializers.Count} initializers " +
        $"({InitializerElements:N0} values), input '{Input.Name}' [{Input.Batch}, {string.Join(", ", Input.SampleShape)}]";
}
