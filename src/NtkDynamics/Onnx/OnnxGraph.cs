using NtkDynamics.Formats;
using NtkDynamics.Nn;
using NtkDynamics.Nn.Layers;
using NtkDynamics.Tensors;

namespace NtkDynamics.Onnx;

/// <summary>
/// An <see cref="OnnxModel"/> as our layer graph (docs/onnx.md): each compute node becomes a layer (Conv -> Conv2d, Gemm and
/// MatMul (+ the Add of its bias) -> Linear, BatchNormalization -> BatchNorm, ...), each initializer a parameter or buffer
/// under its ONNX name. A node with parameters is named by their common prefix ("layer1.0.conv1" for
/// "layer1.0.conv1.weight"), so that what the file does not hold (BatchNorm's num_batches_tracked) gets PyTorch's name too;
/// other nodes keep their ONNX names. Values whose layout differs from ONNX's (our global average pool gives (N, C), ONNX's
/// (N, C, 1, 1)) are reshaped where a node needs ONNX's layout. Problems are one-line errors naming the file and the node.
/// </summary>
public sealed class OnnxGraph
{
    private readonly OnnxModel _onnx;
    private readonly string _source;
    private readonly List<NodeSpec> _specs = [];
    private readonly HashSet<string> _names = [Model.InputName];
    private readonly Dictionary<string, Value> _values = [];
    private readonly Dictionary<string, string> _claimedBy = [];
    private readonly List<(Tensor Target, NdArray Source, bool Transpose)> _loads = [];
    private readonly List<(object Tensor, string Name)> _renames = [];
    private readonly HashSet<OnnxNode> _absorbed = [];
    private readonly ILookup<string, OnnxNode> _readers;

    /// <summary>A value of the ONNX graph as a node of ours: its shape in our graph and in ONNX's (both without the batch).</summary>
    private sealed record Value(string Node, int[] Shape, int[] OnnxShape);

    private OnnxGraph(OnnxModel onnx)
    {
        _onnx = onnx;
        _source = onnx.Path;
        _readers = onnx.Nodes.SelectMany(n => n.Inputs.Distinct().Select(i => (i, n))).ToLookup(p => p.i, p => p.n);
        _values[onnx.Input.Name] = new Value(Model.InputName, onnx.Input.SampleShape, onnx.Input.SampleShape);
    }

    /// <summary>
    /// The layer graph of <paramref name="onnx"/> with the file's weights and buffers (standard parametrisation: multipliers
    /// 1, as PyTorch's layers). <paramref name="seed"/> seeds the generators of random layers (Dropout). Its
    /// <see cref="Model.Copy"/> builds it again from the same file.
    /// </summary>
    public static Model Build(OnnxModel onnx, ulong seed = 0)
    {
        var g = new OnnxGraph(onnx);
        foreach (var n in onnx.Nodes)
            if (!g._absorbed.Contains(n)) g.Convert(n);
        var output = g._values[onnx.Output];
        if (output.Shape.Length != 1)
            throw new InputException($"{onnx.Path}: the output '{onnx.Output}' has shape [batch, {string.Join(", ", output.OnnxShape)}]; we import models whose output is the logits [batch, classes]");
        string description = $"ONNX {System.IO.Path.GetFileName(onnx.Path)} (input {Tensor.Format(onnx.Input.SampleShape)}, {output.Shape[0]} classes)";
        var model = new Model(description, onnx.Input.SampleShape, g._specs, output.Node, () => Build(onnx, seed));
        model.Initialise(new StandardParametrisation(StandardInit.PyTorchDefault), seed);
        foreach (var (tensor, name) in g._renames)
        {
            if (tensor is Parameter p) p.Name = name;
            else ((BufferTensor)tensor).Name = name;
        }
        var seen = new HashSet<string>();
        foreach (string name in model.StateDict().Keys)
            if (!seen.Add(name)) throw new InputException($"{onnx.Path}: two state-dict tensors are named '{name}'");
        foreach (var (target, source, transpose) in g._loads)
            (transpose ? Transposed(source.ToFloat(), source.Shape[0], source.Shape[1]) : source.ToFloat()).CopyTo(target.Data, 0);
        return model;
    }

    /// <summary>
    /// The state dict of a model built from <paramref name="onnx"/> in the file's names and layouts (MatMul's and a
    /// transB = 0 Gemm's weight [in, out] as ONNX holds it), with BatchNorm's num_batches_tracked as int64: what PyTorch's
    /// <c>load_state_dict</c> of the exported module reads.
    /// </summary>
    public static Dictionary<string, NdArray> ExportStateDict(Model model, OnnxModel onnx)
    {
        var transposed = onnx.Nodes.Where(n => n.OpType == "MatMul" || n.OpType == "Gemm" && n.Int("transB", 0) == 0).Select(n => n.Input(1)).ToHashSet();
        var state = new Dictionary<string, NdArray>();
        foreach (var (name, t) in model.StateDict())
            state[name] = name.EndsWith(".num_batches_tracked", StringComparison.Ordinal) ? new NdArray(Array.ConvertAll(t.Data, v => (long)v), t.Shape)
                : transposed.Contains(name) ? new NdArray(Transposed(t.Data, t.Shape[0], t.Shape[1]), t.Shape[1], t.Shape[0])
                : new NdArray(t.Data.ToArray(), t.Shape);
        return state;
    }

    /// <summary>A float attribute as the decimal number it was written from (1e-5f -> 1e-5, PyTorch's double).</summary>
    private static double Decimal(float f) => double.Parse(f.ToString("R", System.Globalization.CultureInfo.InvariantCulture), System.Globalization.CultureInfo.InvariantCulture);

    // a: (rows, cols) -> (cols, rows)
    private static float[] Transposed(float[] a, int rows, int cols)
    {
        var t = new float[a.Length];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) t[c * rows + r] = a[r * cols + c];
        return t;
    }

    // ------------------------------------------------------------------ one node

    private void Convert(OnnxNode n)
    {
        try
        {
            switch (n.OpType)
            {
                case "Conv": ConvertConv(n); break;
                case "Gemm": ConvertGemm(n); break;
                case "MatMul": ConvertMatMul(n); break;
                case "Add" or "Sub" or "Mul" or "Div": ConvertArithmetic(n); break;
                case "Relu": Unary(n, new Relu()); break;
                case "LeakyRelu": Unary(n, new LeakyRelu(Decimal(n.Float("alpha", 0.01f)))); break;
                case "Tanh": Unary(n, new Tanh()); break;
                case "Sigmoid": Unary(n, new Sigmoid()); break;
                case "Erf": Unary(n, new Erf()); break;
                case "Softplus": Unary(n, new Softplus()); break;
                case "Gelu":
                    if (n.String("approximate", "none") != "none") throw n.Error($"approximate '{n.String("approximate", "")}'; we import the exact (erf) GELU");
                    Unary(n, new Gelu());
                    break;
                case "Dropout": Unary(n, new Dropout(n.Float("ratio", 0.5f))); break;
                case "Identity": _values[n.Outputs[0]] = _values[n.Inputs[0]]; break;
                case "MaxPool": Unary(n, new MaxPool2d(Window(n, "MaxPool"))); break;
                case "AveragePool":
                    Unary(n, new AvgPool2d(Window(n, "AveragePool"), n.Int("ceil_mode", 0) != 0, n.Int("count_include_pad", 0) != 0));
                    break;
                case "GlobalAveragePool":
                    var pooled = Unary(n, new GlobalAvgPool2d());
                    _values[n.Outputs[0]] = pooled with { OnnxShape = [pooled.Shape[0], 1, 1] };
                    break;
                case "Flatten": ConvertFlatten(n); break;
                case "Reshape": ConvertReshape(n); break;
                case "BatchNormalization": ConvertBatchNorm(n); break;
                case "LayerNormalization": ConvertLayerNorm(n); break;
                default: throw n.Error($"{n.OpType} has no layer of ours");
            }
        }
        catch (ArgumentException e)
        {
            throw n.Error(e.Message);
        }
    }

    /// <summary>Adds our node for <paramref name="n"/> reading <paramref name="inputs"/> (our node names); its output is n's first.</summary>
    private Value Add(OnnxNode n, Layer layer, string[] inputs, string? name = null)
    {
        name = Unique(name ?? n.Name);
        _specs.Add(new NodeSpec(name, layer, inputs));
        var shape = layer.OutputShape(inputs.Select(i => (int[])[1, .. Of(i).Shape]).ToArray())[1..];
        var value = new Value(name, shape, shape);
        _values[n.Outputs[0]] = value;
        _byNode[name] = value;
        return value;
    }

    private readonly Dictionary<string, Value> _byNode = [];

    private Value Of(string node) => node == Model.InputName ? _values[_onnx.Input.Name] : _byNode[node];

    private string Unique(string name)
    {
        string unique = name.Length > 0 ? name : "node";
        for (int k = 2; !_names.Add(unique); k++) unique = $"{name}#{k}";
        return unique;
    }

    private Value Unary(OnnxNode n, Layer layer) => Add(n, layer, [Runtime(n, 0)]);

    /// <summary>
    /// Our node holding the runtime input <paramref name="i"/> of <paramref name="n"/> in ONNX's layout (a reshape of ours is
    /// added where they differ, once per value).
    /// </summary>
    private string Runtime(OnnxNode n, int i)
    {
        string name = n.Input(i);
        if (!_values.TryGetValue(name, out var v)) throw n.Error($"input {i} '{name}' must be computed from the model input, not a constant");
        if (v.Shape.SequenceEqual(v.OnnxShape)) return v.Node;
        string reshaped = Unique($"{v.Node}:reshape");
        _specs.Add(new NodeSpec(reshaped, new Reshape(v.OnnxShape), [v.Node]));
        _values[name] = _byNode[reshaped] = new Value(reshaped, v.OnnxShape, v.OnnxShape);
        return reshaped;
    }

    /// <summary>The ONNX shape (without the batch) of the runtime input <paramref name="i"/>.</summary>
    private int[] ShapeOf(OnnxNode n, int i) =>
        _values.TryGetValue(n.Input(i), out var v) ? v.OnnxShape : throw n.Error($"input {i} '{n.Input(i)}' must be computed from the model input, not a constant");

    /// <summary>
    /// Initializer <paramref name="i"/> of <paramref name="n"/>, which becomes a parameter or buffer of this node (an
    /// initializer read by two such nodes would be a shared weight, which we do not import).
    /// </summary>
    private NdArray? Initializer(OnnxNode n, int i, string role, bool required = true)
    {
        string name = n.Input(i);
        if (name.Length == 0)
            return required ? throw n.Error($"has no {role} (input {i})") : null;
        if (_onnx.Initializer(name) is not { } t)
            throw n.Error($"its {role} '{name}' is {(_values.ContainsKey(name) ? "computed from the input" : "a constant computed at load")}; we import {role}s that are initializers (the module's parameters)");
        if (!_claimedBy.TryAdd(name, n.Name))
            throw n.Error($"reads '{name}', which node '{_claimedBy[name]}' reads too: shared weights are not supported");
        return t.Value;
    }

    /// <summary>Loads <paramref name="value"/> into a tensor of the built model and names it <paramref name="name"/>.</summary>
    private void Load(object tensor, string name, NdArray value, bool transpose = false)
    {
        _renames.Add((tensor, name));
        _loads.Add((tensor is Parameter p ? p.Value : ((BufferTensor)tensor).Value, value, transpose));
    }

    /// <summary>The node name for a layer whose tensors are <paramref name="tensors"/> (relative name, ONNX name): their
    /// common module prefix when each is "{prefix}.{relative}", else the ONNX node's name.</summary>
    private static string NodeName(OnnxNode n, params (string Relative, string Name)[] tensors)
    {
        var present = tensors.Where(t => t.Name.Length > 0).ToArray();
        if (present.Length == 0 || !present[0].Name.EndsWith("." + present[0].Relative, StringComparison.Ordinal)) return n.Name;
        string prefix = present[0].Name[..^(present[0].Relative.Length + 1)];
        return prefix.Length > 0 && prefix != Model.InputName && present.All(t => t.Name == $"{prefix}.{t.Relative}") ? prefix : n.Name;
    }

    private static void CheckShape(OnnxNode n, NdArray a, string role, params int[] expected)
    {
        if (!a.Shape.SequenceEqual(expected))
            throw n.Error($"its {role} '{role}' has shape {Tensor.Format(a.Shape)}, expected {Tensor.Format(expected)}");
    }

    // ------------------------------------------------------------------ layers with parameters

    private void ConvertConv(OnnxNode n)
    {
        var w = Initializer(n, 1, "weight")!;
        var b = Initializer(n, 2, "bias", required: false);
        var s = ShapeOf(n, 0);
        if (w.Shape.Length != 4 || s.Length != 3)
            throw n.Error($"a {w.Shape.Length - 2}-D convolution of an input [batch, {string.Join(", ", s)}]; we import 2-D convolutions (weight [Cout, Cin, kh, kw])");
        if (n.Int("group", 1) != 1) throw n.Error($"group {n.Int("group", 1)}; we import ungrouped convolutions (group 1)");
        if (w.Shape[1] != s[0]) throw n.Error($"weight '{n.Input(1)}' takes {w.Shape[1]} channels, the input has {s[0]}");
        if (n.Ints("kernel_shape", [w.Shape[2], w.Shape[3]]) is var k && (k.Length != 2 || k[0] != w.Shape[2] || k[1] != w.Shape[3]))
            throw n.Error($"kernel_shape [{string.Join(", ", k)}] is not the weight's [{w.Shape[2]}, {w.Shape[3]}]");
        if (b is not null) CheckShape(n, b, "bias", w.Shape[0]);
        var conv = new Conv2d(w.Shape[1], w.Shape[0], Window(n, "Conv", kernel: (w.Shape[2], w.Shape[3])), b is not null);
        Add(n, conv, [Runtime(n, 0)], NodeName(n, ("weight", n.Input(1)), ("bias", n.Input(2))));
        Load(conv.Weight, n.Input(1), w);
        if (b is not null) Load(conv.Bias!, n.Input(2), b);
    }

    private void ConvertGemm(OnnxNode n)
    {
        if (n.Float("alpha", 1) != 1 || n.Float("beta", 1) != 1 || n.Int("transA", 0) != 0)
            throw n.Error("alpha, beta or transA is not the default (1, 1, 0); we import Gemm as a linear layer y = x Wᵀ + b");
        var s = ShapeOf(n, 0);
        if (s.Length != 1) throw n.Error($"its input has shape [batch, {string.Join(", ", s)}], expected [batch, features]");
        var w = Initializer(n, 1, "weight")!;
        bool transB = n.Int("transB", 0) != 0;
        if (w.Shape.Length != 2) throw n.Error($"weight '{n.Input(1)}' has shape {Tensor.Format(w.Shape)}, expected a matrix");
        int inputs = transB ? w.Shape[1] : w.Shape[0], outputs = transB ? w.Shape[0] : w.Shape[1];
        if (inputs != s[0]) throw n.Error($"weight '{n.Input(1)}' {Tensor.Format(w.Shape)} takes {inputs} features, the input has {s[0]}");
        var b = Initializer(n, 2, "bias", required: false);
        if (b is not null && !(b.Shape.SequenceEqual([outputs]) || b.Shape.SequenceEqual([1, outputs])))
            throw n.Error($"bias '{n.Input(2)}' has shape {Tensor.Format(b.Shape)}, expected [{outputs}]");
        Linear(n, n, inputs, outputs, w, !transB, b, n.Input(2));
    }

    /// <summary>MatMul of a computed [batch, in] by an initializer [in, out]; an Add of an initializer [out] that alone reads
    /// its result is its bias.</summary>
    private void ConvertMatMul(OnnxNode n)
    {
        var s = ShapeOf(n, 0);
        if (s.Length != 1) throw n.Error($"its input has shape [batch, {string.Join(", ", s)}]; we import MatMul of [batch, features] by a weight matrix");
        var w = Initializer(n, 1, "weight")!;
        if (w.Shape.Length != 2 || w.Shape[0] != s[0]) throw n.Error($"weight '{n.Input(1)}' has shape {Tensor.Format(w.Shape)}, expected [{s[0]}, out]");
        var readers = _readers[n.Outputs[0]].ToList();
        OnnxNode last = n;
        NdArray? b = null;
        string biasName = "";
        if (readers is [{ OpType: "Add" } add] && n.Outputs[0] != _onnx.Output)
        {
            string other = add.Inputs[0] == n.Outputs[0] ? add.Input(1) : add.Inputs[0];
            if (_onnx.Initializer(other) is { } bias && bias.Value.Shape.SequenceEqual([w.Shape[1]]) && !_claimedBy.ContainsKey(other))
            {
                _claimedBy[other] = add.Name;
                (b, biasName, last) = (bias.Value, other, add);
                _absorbed.Add(add);
            }
        }
        Linear(n, last, w.Shape[0], w.Shape[1], w, true, b, biasName);
    }

    private void Linear(OnnxNode n, OnnxNode last, int inputs, int outputs, NdArray w, bool transpose, NdArray? b, string biasName)
    {
        var linear = new Linear(inputs, outputs, b is not null);
        string input = Runtime(n, 0);
        var value = Add(n, linear, [input], NodeName(n, ("weight", n.Input(1)), ("bias", biasName)));
        _values[last.Outputs[0]] = value;
        Load(linear.Weight, n.Input(1), w, transpose);
        if (b is not null) Load(linear.Bias!, biasName, b);
    }

    private void ConvertBatchNorm(OnnxNode n)
    {
        var s = ShapeOf(n, 0);
        if (s.Length is not (1 or 2 or 3)) throw n.Error($"its input has shape [batch, {string.Join(", ", s)}]; we import BatchNorm over [batch, C], [batch, C, L] or [batch, C, H, W]");
        var tensors = new[] { ("weight", "scale"), ("bias", "bias"), ("running_mean", "running mean"), ("running_var", "running variance") }
            .Select((t, i) => (t.Item1, Array: Initializer(n, i + 1, t.Item2)!)).ToArray();
        foreach (var (_, a) in tensors) if (!a.Shape.SequenceEqual([s[0]])) throw n.Error($"its statistics and affine parameters must have shape [{s[0]}], got {Tensor.Format(a.Shape)}");
        var bn = new BatchNorm(s[0], s.Length == 3 ? 2 : 1, Decimal(n.Float("epsilon", 1e-5f)), 1 - Decimal(n.Float("momentum", 0.9f)));
        Add(n, bn, [Runtime(n, 0)], NodeName(n, tensors.Select((t, i) => (t.Item1, n.Input(i + 1))).ToArray()));
        object[] targets = [bn.Weight, bn.Bias, bn.RunningMean, bn.RunningVar];
        for (int i = 0; i < 4; i++) Load(targets[i], n.Input(i + 1), tensors[i].Array);
    }

    private void ConvertLayerNorm(OnnxNode n)
    {
        var s = ShapeOf(n, 0);
        long axis = n.Int("axis", -1);
        if (axis < 0) axis += s.Length + 1;
        if (axis < 1 || axis > s.Length) throw n.Error($"normalises from axis {n.Int("axis", -1)} of [batch, {string.Join(", ", s)}]; we normalise within each sample (axis >= 1)");
        int[] normalized = s[(int)(axis - 1)..];
        var scale = Initializer(n, 1, "scale")!;
        var b = Initializer(n, 2, "bias", required: false) ?? throw n.Error("has no bias; we import LayerNorm with both affine parameters (elementwise_affine=True)");
        CheckShape(n, scale, "scale", normalized);
        CheckShape(n, b, "bias", normalized);
        var ln = new LayerNorm(normalized, Decimal(n.Float("epsilon", 1e-5f)));
        Add(n, ln, [Runtime(n, 0)], NodeName(n, ("weight", n.Input(1)), ("bias", n.Input(2))));
        Load(ln.Parameters[0], n.Input(1), scale);
        Load(ln.Parameters[1], n.Input(2), b);
    }

    // ------------------------------------------------------------------ arithmetic and shapes

    private void ConvertArithmetic(OnnxNode n)
    {
        bool first = _values.ContainsKey(n.Inputs[0]), second = _values.ContainsKey(n.Input(1));
        if (first && second)
        {
            Layer layer = n.OpType switch
            {
                "Add" => new Nn.Layers.Add(),
                "Mul" => new Multiply(),
                _ => throw n.Error($"{n.OpType} of two computed values; we import Add and Mul of two computed values and {n.OpType} with a constant"),
            };
            Add(n, layer, [Runtime(n, 0), Runtime(n, 1)]);
            return;
        }
        int c = first ? 1 : 0;
        string name = n.Input(c);
        NdArray constant;
        string? buffer = null;
        if (_onnx.Initializer(name) is { } t)
        {
            constant = t.Value;
            buffer = name;
            if (!_claimedBy.TryAdd(name, n.Name)) throw n.Error($"reads '{name}', which node '{_claimedBy[name]}' reads too: shared weights are not supported");
        }
        else constant = _onnx.Constant(name) ?? throw n.Error($"operand '{name}' is neither computed nor a constant");
        if (constant.DType is not (DType.Float32 or DType.Float64)) throw n.Error($"operand '{name}' is {constant.DType.Name()}, expected a float constant");
        var op = (n.OpType, first) switch
        {
            ("Add", _) => ConstantOp.Add,
            ("Mul", _) => ConstantOp.Multiply,
            ("Sub", true) => ConstantOp.Subtract,
            ("Sub", false) => ConstantOp.SubtractFrom,
            ("Div", true) => ConstantOp.Divide,
            _ => ConstantOp.DivideInto,
        };
        var layer2 = new ConstantOperand(op, constant.ToTensor(), buffer is null ? null : "constant");
        Add(n, layer2, [Runtime(n, first ? 0 : 1)]);
        if (buffer is not null) Load(layer2.Buffers[0], buffer, constant);
    }

    private void ConvertFlatten(OnnxNode n)
    {
        var s = ShapeOf(n, 0);
        long axis = n.Int("axis", 1);
        if (axis != 1 && !(axis == -1 && s.Length == 1)) throw n.Error($"flattens from axis {axis}; we import Flatten(axis=1), which keeps the batch");
        Flat(n, [Tensor.Count(s)]);
    }

    /// <summary>Reshape to a shape folded at load: the batch axis kept, -1 inferred, 0 copying the input's size.</summary>
    private void ConvertReshape(OnnxNode n)
    {
        var dims = _onnx.ShapeVector(n.Input(1)) ?? throw n.Error("its shape is not known at load");
        var s = ShapeOf(n, 0);
        bool allowZero = n.Int("allowzero", 0) != 0;
        string Show() => $"[{string.Join(", ", dims)}]";
        if (dims.Length == 0 || !(dims[0] is { IsNumber: false, Axis: 0 } || dims[0] is { IsNumber: true, Value: 0 } && !allowZero))
            throw n.Error($"reshapes to {Show()}, which does not keep the batch axis first; we import reshapes of each sample");
        var target = new List<int>();
        int infer = -1;
        for (int d = 1; d < dims.Length; d++)
        {
            var dim = dims[d];
            if (!dim.IsNumber)
            {
                if (dim.Axis == 0 || !_values.TryGetValue(dim.Of!, out var of) || dim.Axis > of.OnnxShape.Length)
                    throw n.Error($"reshapes to {Show()}, whose entry {d} is a batch size or unknown");
                target.Add(of.OnnxShape[dim.Axis - 1]);
            }
            else if (dim.Value == -1 && infer < 0) { infer = target.Count; target.Add(1); }
            else if (dim.Value == 0 && !allowZero && d - 1 < s.Length) target.Add(s[d - 1]);
            else if (dim.Value is >= 1 and <= int.MaxValue) target.Add((int)dim.Value);
            else throw n.Error($"reshapes to {Show()}: entry {d} ({dim.Value}) is not a size");
        }
        int count = Tensor.Count(s), rest = Tensor.Count(target.ToArray());
        if (infer >= 0) target[infer] = rest > 0 && count % rest == 0 ? count / rest : throw n.Error($"reshapes {count} values a sample to {Show()}");
        if (Tensor.Count(target.ToArray()) != count) throw n.Error($"reshapes [batch, {string.Join(", ", s)}] to {Show()}: {count} values a sample do not fill [{string.Join(", ", target)}]");
        Flat(n, [.. target]);
    }

    /// <summary>n's output is its input with sample shape <paramref name="shape"/>: our value itself when it has that shape,
    /// else a Flatten (flat result) or a Reshape.</summary>
    private void Flat(OnnxNode n, int[] shape)
    {
        var v = _values[n.Inputs[0]];
        if (v.Shape.SequenceEqual(shape)) { _values[n.Outputs[0]] = v with { OnnxShape = shape }; return; }
        Add(n, shape.Length == 1 && v.Shape.Length >= 1 ? new Flatten() : new Reshape(shape), [v.Node]);
    }

    /// <summary>The kernel, strides and symmetric pads of a Conv or pool ([top, left, bottom, right] must have top = bottom
    /// and left = right); dilations 1, no auto_pad, no ceil mode for MaxPool.</summary>
    private static Window2d Window(OnnxNode n, string op, (int H, int W)? kernel = null)
    {
        var k = kernel is { } kk ? [kk.H, kk.W] : n.Ints("kernel_shape", []);
        if (k.Length != 2) throw n.Error($"kernel_shape [{string.Join(", ", k)}]; we import 2-D {op}");
        var st = n.Ints("strides", [1, 1]);
        var p = n.Ints("pads", [0, 0, 0, 0]);
        if (st.Length != 2 || p.Length != 4) throw n.Error($"strides [{string.Join(", ", st)}] or pads [{string.Join(", ", p)}] are not 2-D");
        if (p[0] != p[2] || p[1] != p[3]) throw n.Error($"pads [{string.Join(", ", p)}] differ at the two ends of an axis; we import symmetric padding");
        if (n.Ints("dilations", [1, 1]).Any(d => d != 1)) throw n.Error("dilations other than 1 are not supported");
        if (n.String("auto_pad", "NOTSET") != "NOTSET") throw n.Error($"auto_pad {n.String("auto_pad", "")}; export with explicit pads");
        if (op == "MaxPool" && (n.Int("ceil_mode", 0) != 0 || n.Int("storage_order", 0) != 0)) throw n.Error("ceil_mode or storage_order is set; we import floor-mode max pooling");
        return new Window2d((int)k[0], (int)k[1], (int)st[0], (int)st[1], (int)p[0], (int)p[1]);
    }
}
