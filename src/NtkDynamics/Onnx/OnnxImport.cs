using Google.Protobuf;
using NtkDynamics.Formats;
using NtkDynamics.Onnx.Proto;

namespace NtkDynamics.Onnx;

/// <summary>
/// Reads an .onnx file into an <see cref="OnnxModel"/>: parses the ModelProto, checks the IR version, the opset, the one
/// input and output and every node's op, then walks the nodes in order. Constant-only work (Constant, Identity of an
/// initializer or constant, and the Shape/Gather/Unsqueeze/Squeeze/Concat/Cast chains of a PyTorch
/// <c>x.view(x.size(0), -1)</c>) is evaluated here; the runtime nodes are kept with version differences normalised
/// (Dropout's ratio as an attribute, Pad's pads as an attribute, then merged into the AveragePool it feeds).
/// </summary>
internal sealed class OnnxImport
{
    private readonly string _path;
    private readonly int _opset;
    private readonly List<OnnxTensor> _initializerOrder = [];
    private readonly Dictionary<string, OnnxTensor> _initializers = [];
    private readonly Dictionary<string, NdArray> _constants = [];
    private readonly Dictionary<string, (ShapeDim[] Dims, bool Scalar)> _shapes = [];
    private readonly Dictionary<string, int> _runtimeRank = [];
    private readonly Dictionary<string, string> _alias = [];
    private readonly Dictionary<string, string> _unavailable = [];
    private readonly List<OnnxNode> _nodes = [];
    private long? _fixedBatch;

    private OnnxImport(string path, int opset)
    {
        _path = path;
        _opset = opset;
    }

    public static OnnxModel Load(string path)
    {
        var m = Parse(path);
        InputException Bad(string what) => new($"{path}: {what}");
        if (m.Graph is not { } g) throw Bad("has no graph (not an ONNX model?)");
        if (m.IrVersion < 3) throw Bad($"IR version {m.IrVersion} is older than 3, which we do not read");
        var standard = m.OpsetImport.Where(o => o.Domain is "" or "ai.onnx").ToList();
        if (standard.Count == 0) throw Bad("imports no version of the standard operator set (opset_import)");
        long opset = standard.Max(o => o.Version);
        if (opset is < OnnxOps.MinOpset or > OnnxOps.MaxOpset)
            throw Bad($"opset {opset} is not supported (we read opsets {OnnxOps.MinOpset}-{OnnxOps.MaxOpset}): export with opset_version=17");
        if (g.SparseInitializers > 0) throw Bad($"has {g.SparseInitializers} sparse initializers, which we do not read");

        var import = new OnnxImport(path, (int)opset);
        foreach (var t in g.Initializer) import.AddInitializer(t);
        var input = import.ReadInput(g);
        for (int i = 0; i < g.Node.Count; i++) import.Visit(g.Node[i], i);
        string output = import.ReadOutput(g);
        import.MergePadsIntoAveragePools();
        var nodes = import.Reachable(output);
        var used = nodes.SelectMany(n => n.Inputs).ToHashSet();
        var initializers = import._initializerOrder.Where(t => used.Contains(t.Name)).ToList();
        var warnings = FoldedBatchNorm.Detect(nodes, path) is { } w ? new[] { w } : [];
        var shapes = import._shapes.ToDictionary(s => s.Key, s => s.Value.Dims);
        return new OnnxModel(path, m.IrVersion, (int)opset, $"{m.ProducerName} {m.ProducerVersion}".Trim(), input, output,
            initializers, nodes, import._constants, shapes, warnings);
    }

    private static ModelProto Parse(string path)
    {
        byte[] bytes;
        using (var fs = RawData.OpenRead(path))
        {
            if (fs.Length > Array.MaxLength)
                throw new InputException($"{path}: {fs.Length} bytes is more than one protobuf file holds (2 GiB); such models keep their weights as external data, which we do not read");
            bytes = new byte[fs.Length];
            fs.ReadExactly(bytes);
        }
        try
        {
            return ModelProto.Read(new ProtoReader(bytes), bytes.Length);
        }
        catch (Exception e) when (e is InvalidProtocolBufferException or FormatException)
        {
            string first = e.Message.Split(". ")[0].TrimEnd('.');
            throw new InputException($"{path}: not a valid ONNX file, or truncated ({first})");
        }
    }

    private InputException Bad(string what) => new($"{_path}: {what}");

    private void AddInitializer(TensorProto t)
    {
        if (t.Name.Length == 0) throw Bad("an initializer has no name");
        var tensor = new OnnxTensor(t.Name, OnnxTensors.ToArray(t, $"{_path}: initializer '{t.Name}'"));
        if (!_initializers.TryAdd(t.Name, tensor)) throw Bad($"initializer '{t.Name}' is given twice");
        _initializerOrder.Add(tensor);
    }

    /// <summary>The one graph input that is not an initializer (older exports list the initializers as inputs too).</summary>
    private OnnxInput ReadInput(GraphProto g)
    {
        var inputs = g.Input.Where(i => !_initializers.ContainsKey(i.Name)).ToList();
        if (inputs.Count != 1)
            throw Bad($"has {inputs.Count} inputs ({string.Join(", ", inputs.Select(i => $"'{i.Name}'"))}); we import models with one input");
        var v = inputs[0];
        string what = $"input '{v.Name}'";
        if (v.ElemType != TensorProto.Float) throw Bad($"{what} is {TensorProto.TypeName(v.ElemType)}, expected FLOAT");
        if (v.Shape is not { Count: >= 2 } dims) throw Bad($"{what} has no shape of rank 2 or more (batch first) in the file");
        var sample = new int[dims.Count - 1];
        for (int d = 1; d < dims.Count; d++)
            sample[d - 1] = dims[d].Value is > 0 and <= int.MaxValue
                ? (int)dims[d].Value!.Value
                : throw Bad($"{what}: the size of axis {d} is not fixed ({dims[d].Param ?? "unknown"}); export with a fixed input size (only the batch axis 0 may vary)");
        _runtimeRank[v.Name] = dims.Count;
        _fixedBatch = dims[0].Param is null ? dims[0].Value : null;
        return new OnnxInput(v.Name, sample, dims[0].Param ?? dims[0].Value?.ToString() ?? "?");
    }

    private string ReadOutput(GraphProto g)
    {
        if (g.Output.Count != 1)
            throw Bad($"has {g.Output.Count} outputs ({string.Join(", ", g.Output.Select(o => $"'{o.Name}'"))}); we import models with one output, the logits");
        string output = Resolve(g.Output[0].Name);
        if (!_runtimeRank.ContainsKey(output))
            throw Bad(Defined(output) ? $"output '{g.Output[0].Name}' is a constant, not computed from the input" : $"output '{g.Output[0].Name}' is computed by no node");
        return output;
    }

    private string Resolve(string name) => _alias.GetValueOrDefault(name, name);

    private bool Defined(string name) =>
        _initializers.ContainsKey(name) || _constants.ContainsKey(name) || _shapes.ContainsKey(name) || _runtimeRank.ContainsKey(name);

    private void Visit(NodeProto proto, int index)
    {
        string name = proto.Name.Length > 0 ? proto.Name : $"{proto.OpType}_{index}";
        string where = $"{_path}: node '{name}' ({proto.OpType}, opset {_opset})";
        if (OnnxOps.Refusal(proto.OpType, proto.Domain, _opset) is { } why) throw new InputException($"{where}: {why}");
        var inputs = proto.Input.Select(i => i.Length == 0 ? "" : Resolve(i)).ToList();
        foreach (string i in inputs.Where(i => i.Length > 0 && !Defined(i)))
            throw new InputException(_unavailable.TryGetValue(i, out var what)
                ? $"{where}: reads '{i}', {what}, which we do not compute"
                : $"{where}: reads '{i}', which no initializer, graph input or earlier node provides (a missing initializer?)");
        foreach (string o in proto.Output.Where(o => o.Length > 0 && Defined(o)))
            throw new InputException($"{where}: writes '{o}', which is already defined");
        var node = new OnnxNode(name, proto.OpType, inputs, proto.Output, OnnxNode.ReadAttributes(proto, where), _path);
        switch (node.OpType)
        {
            case "Constant": _constants[node.Outputs[0]] = ConstantValue(node); break;
            case "Identity": FoldIdentity(node); break;
            case "Shape": FoldShape(node); break;
            case "Gather": FoldGather(node); break;
            case "Unsqueeze": FoldSqueeze(node, unsqueeze: true); break;
            case "Squeeze": FoldSqueeze(node, unsqueeze: false); break;
            case "Concat": FoldConcat(node); break;
            case "Cast": FoldCast(node); break;
            default: AddRuntime(node); break;
        }
    }

    // ------------------------------------------------------------------ folded at load

    private static NdArray ConstantValue(OnnxNode n)
    {
        if (n.Tensor("value") is { } t) return t;
        if (n.Has("value_float")) return new NdArray([n.Float("value_float", 0)]);
        if (n.Has("value_floats")) { var f = n.Floats("value_floats", []); return new NdArray(f, f.Length); }
        if (n.Has("value_int")) return new NdArray([n.Int("value_int", 0)]);
        if (n.Has("value_ints")) { var l = n.Ints("value_ints", []); return new NdArray(l, l.Length); }
        throw n.Error("has no value we read (value, value_float(s), value_int(s))");
    }

    /// <summary>
    /// Identity of an initializer becomes an initializer of its own under the output's name: PyTorch 1.13 writes one
    /// copy of initializers with equal values (a fresh BatchNorm's weight and running_var are all ones) and an Identity
    /// for the other name, which is a separate tensor in the state dict.
    /// </summary>
    private void FoldIdentity(OnnxNode n)
    {
        string x = n.Inputs[0], y = n.Outputs[0];
        if (_initializers.TryGetValue(x, out var t))
        {
            var copy = new OnnxTensor(y, Copy(t.Value, t.Value.Shape));
            _initializers[y] = copy;
            _initializerOrder.Add(copy);
        }
        else if (_constants.TryGetValue(x, out var c)) _constants[y] = c;
        else if (_shapes.TryGetValue(x, out var s)) _shapes[y] = s;
        else _alias[y] = x;
    }

    private void FoldShape(OnnxNode n)
    {
        string x = n.Inputs[0];
        if (!_runtimeRank.TryGetValue(x, out int rank))
        {
            var shape = (_initializers.TryGetValue(x, out var t) ? t.Value : _constants[x]).Shape;
            StoreDims(n.Outputs[0], shape.Select(d => new ShapeDim(d)).ToArray(), false);
            return;
        }
        int Clamp(long axis) => (int)Math.Clamp(axis < 0 ? axis + rank : axis, 0, rank);
        int start = Clamp(n.Int("start", 0)), end = Clamp(n.Int("end", rank));
        var dims = Enumerable.Range(start, Math.Max(0, end - start)).Select(a => ShapeDim.SizeOf(x, a)).ToArray();
        StoreDims(n.Outputs[0], dims, false);
    }

    private void FoldGather(OnnxNode n)
    {
        var data = Dims(n, n.Inputs[0], "data");
        var indices = IntConstant(n, n.Input(1), "indices");
        long axis = n.Int("axis", 0);
        if (axis is not (0 or -1)) throw n.Error($"gathers along axis {axis} of a shape vector");
        var picked = new ShapeDim[indices.Length];
        var at = indices.ToInt64();
        for (int i = 0; i < picked.Length; i++)
        {
            long k = at[i] < 0 ? at[i] + data.Dims.Length : at[i];
            picked[i] = k >= 0 && k < data.Dims.Length ? data.Dims[k] : throw n.Error($"index {at[i]} is outside the {data.Dims.Length} entries");
        }
        StoreDims(n.Outputs[0], picked, indices.Shape.Length == 0);
    }

    /// <summary>Unsqueeze/Squeeze: on a shape scalar/vector, or on any constant (a reshape of it).</summary>
    private void FoldSqueeze(OnnxNode n, bool unsqueeze)
    {
        long[]? axes = _opset >= 13
            ? (n.Input(1).Length > 0 ? IntConstant(n, n.Input(1), "axes").ToInt64() : null)
            : n.Has("axes") ? n.Ints("axes", []) : null;
        if (unsqueeze && axes is null) throw n.Error("has no axes");
        string x = n.Inputs[0];
        if (_shapes.TryGetValue(x, out var s))
        {
            bool onlyAxis = axes is null ? !unsqueeze && s.Dims.Length == 1 : axes is [0] or [-1];
            if (s.Scalar != unsqueeze || !onlyAxis)
                throw n.Error($"{(unsqueeze ? "unsqueezes" : "squeezes")} a shape {(s.Scalar ? "scalar" : "vector")} along axes [{string.Join(", ", axes ?? [])}]; we fold scalars <-> 1-element vectors");
            _shapes[n.Outputs[0]] = (s.Dims, !unsqueeze);
            return;
        }
        var c = FoldedArray(n, x);
        var shape = c.Shape.ToList();
        if (unsqueeze)
        {
            int rank = shape.Count + axes!.Length;
            foreach (long a in axes.Select(a => a < 0 ? a + rank : a).Order())
                if (a >= 0 && a <= shape.Count) shape.Insert((int)a, 1);
                else throw n.Error($"axis {a} is outside rank {rank}");
        }
        else
        {
            var drop = axes?.Select(a => a < 0 ? a + shape.Count : a).ToHashSet() ?? Enumerable.Range(0, shape.Count).Where(a => shape[a] == 1).Select(a => (long)a).ToHashSet();
            if (drop.Any(a => a < 0 || a >= shape.Count || shape[(int)a] != 1)) throw n.Error($"squeezes an axis whose size is not 1 (shape {Tensors.Tensor.Format(c.Shape)})");
            shape = shape.Where((_, a) => !drop.Contains(a)).ToList();
        }
        _constants[n.Outputs[0]] = Copy(c, [.. shape]);
    }

    private void FoldConcat(OnnxNode n)
    {
        long axis = n.Int("axis", long.MinValue);
        var parts = n.Inputs.Where(i => i.Length > 0).Select(i => Dims(n, i, "input")).ToList();
        if (axis is not (0 or -1) || parts.Any(p => p.Scalar))
            throw n.Error($"concatenates along axis {axis}; we fold only shape vectors (axis 0)");
        StoreDims(n.Outputs[0], parts.SelectMany(p => p.Dims).ToArray(), false);
    }

    private void FoldCast(OnnxNode n)
    {
        string x = n.Inputs[0];
        long to = n.Int("to", 0);
        if (_shapes.TryGetValue(x, out var s))
        {
            if (to is not (TensorProto.Int64 or TensorProto.Int32)) throw n.Error($"casts a shape to {TensorProto.TypeName((int)to)}");
            _shapes[n.Outputs[0]] = s;
            return;
        }
        var c = FoldedArray(n, x);
        _constants[n.Outputs[0]] = to switch
        {
            TensorProto.Float => new NdArray(c.ToFloat(), c.Shape),
            TensorProto.Double => new NdArray(c.ToDouble(), c.Shape),
            TensorProto.Int64 => new NdArray(c.ToInt64(), c.Shape),
            TensorProto.Int32 => new NdArray(Array.ConvertAll(c.ToInt64(), v => (int)v), c.Shape),
            _ => throw n.Error($"casts to {TensorProto.TypeName((int)to)}, which we do not fold"),
        };
    }

    /// <summary>A folded value's array (a constant or an initializer); a runtime value is an error.</summary>
    private NdArray FoldedArray(OnnxNode n, string name)
    {
        if (_constants.TryGetValue(name, out var c)) return c;
        if (_initializers.TryGetValue(name, out var t)) return t.Value;
        throw n.Error($"reads the runtime value '{name}'; we evaluate {n.OpType} only on constants and shapes, at load");
    }

    private NdArray IntConstant(OnnxNode n, string name, string role)
    {
        var c = name.Length > 0 ? FoldedArray(n, name) : throw n.Error($"has no {role}");
        return c.DType is DType.Int64 or DType.Int32 && c.Shape.Length <= 1 ? c : throw n.Error($"{role} '{name}' is not an integer scalar or vector");
    }

    /// <summary>A shape vector/scalar: a folded shape, or an integer constant of rank 0 or 1.</summary>
    private (ShapeDim[] Dims, bool Scalar) Dims(OnnxNode n, string name, string role)
    {
        if (_shapes.TryGetValue(name, out var s)) return s;
        var c = IntConstant(n, name, role);
        return (Array.ConvertAll(c.ToInt64(), v => new ShapeDim(v)), c.Shape.Length == 0);
    }

    /// <summary>Stores a shape result: as an int64 constant when every entry is a number, else symbolically.</summary>
    private void StoreDims(string name, ShapeDim[] dims, bool scalar)
    {
        if (dims.All(d => d.IsNumber))
            _constants[name] = scalar ? new NdArray([dims[0].Value]) : new NdArray(dims.Select(d => d.Value).ToArray(), dims.Length);
        else
            _shapes[name] = (dims, scalar);
    }

    // ------------------------------------------------------------------ runtime nodes

    private void AddRuntime(OnnxNode n)
    {
        var data = n.Inputs.Where(i => i.Length > 0).ToList();
        if (!data.Any(_runtimeRank.ContainsKey))
            throw n.Error("computes only from initializers and constants; we import nodes that compute from the input " +
                "(an export with do_constant_folding=True evaluates such nodes at export)");
        foreach (string i in data.Where(_shapes.ContainsKey).Where(i => !(n.OpType == "Reshape" && i == n.Input(1))))
            throw n.Error($"reads '{i}', a shape computed at load, as data");
        n = n.OpType switch
        {
            "Dropout" => NormaliseDropout(n),
            "Pad" => NormalisePad(n),
            "Reshape" => CheckReshape(n),
            _ => n,
        };
        if (n.OpType == "Pad" && n.Ints("pads", []).All(p => p == 0))
        {
            _alias[n.Outputs[0]] = n.Inputs[0];
            return;
        }
        int rank = n.OpType switch
        {
            "Gemm" or "Flatten" => 2,
            "Reshape" => ShapeOperand(n.Inputs[1]).Length,
            "Add" or "Sub" or "Mul" or "Div" or "MatMul" => data.Max(RankOf),
            _ => RankOf(n.Inputs[0]),
        };
        _runtimeRank[n.Outputs[0]] = rank;
        string[] extras = n.OpType switch
        {
            "BatchNormalization" => ["the running mean a training-mode export adds", "the running variance a training-mode export adds",
                "a saved statistic", "a saved statistic"],
            "Dropout" => ["the dropout mask"],
            "MaxPool" => ["the max-pooling indices"],
            _ => [],
        };
        for (int o = 1; o < n.Outputs.Count; o++)
            if (n.Outputs[o].Length > 0) _unavailable[n.Outputs[o]] = $"output {o} of {n} ({extras.ElementAtOrDefault(o - 1) ?? "an extra output"})";
        _nodes.Add(n);
    }

    private int RankOf(string name) =>
        _runtimeRank.TryGetValue(name, out int r) ? r : (_initializers.TryGetValue(name, out var t) ? t.Value : _constants[name]).Shape.Length;

    private ShapeDim[] ShapeOperand(string name) =>
        _shapes.TryGetValue(name, out var s) ? s.Dims : Array.ConvertAll(_constants[name].ToInt64(), v => new ShapeDim(v));

    /// <summary>Dropout: the ratio as an attribute at every opset (an input from opset 12); the training-mode input is
    /// dropped (our training decides).</summary>
    private OnnxNode NormaliseDropout(OnnxNode n)
    {
        float ratio = n.Float("ratio", 0.5f);
        if (_opset >= 12 && n.Input(1).Length > 0)
        {
            var r = FoldedArray(n, n.Input(1));
            ratio = r.Length == 1 ? r.ToFloat()[0] : throw n.Error("ratio is not a scalar");
        }
        if (ratio is < 0 or >= 1) throw n.Error($"ratio {ratio} is outside [0, 1)");
        var attributes = new Dictionary<string, OnnxAttribute>(n.Attributes) { ["ratio"] = new("ratio", AttributeProto.Float, F: ratio) };
        return n.With([n.Inputs[0]], attributes);
    }

    /// <summary>Pad: constant zero padding with the pads as an attribute ([begin of each axis..., end of each axis...]).</summary>
    private OnnxNode NormalisePad(OnnxNode n)
    {
        if (n.String("mode", "constant") != "constant") throw n.Error($"pads in mode '{n.String("mode", "")}'; we import constant zero padding");
        if (n.Input(2).Length > 0 && FoldedArray(n, n.Input(2)).ToDouble() is var v && v.Any(x => x != 0))
            throw n.Error("pads with a value other than 0");
        if (n.Input(3).Length > 0) throw n.Error("pads selected axes (opset 18 axes input), which we do not import");
        var pads = IntConstant(n, n.Input(1), "pads").ToInt64();
        var attributes = new Dictionary<string, OnnxAttribute>(n.Attributes) { ["pads"] = new("pads", AttributeProto.Ints, Ints: pads) };
        return n.With([n.Inputs[0]], attributes);
    }

    /// <summary>
    /// Reshape: the target shape must be folded. A model exported without a dynamic batch axis has the export's batch
    /// size written into its reshapes (PyTorch traces x.size(0) as a number then): a leading entry equal to the input's
    /// fixed batch size is read as the batch size of the reshaped value.
    /// </summary>
    private OnnxNode CheckReshape(OnnxNode n)
    {
        if (n.Input(1).Length == 0 || !_shapes.ContainsKey(n.Inputs[1]) && !_constants.ContainsKey(n.Inputs[1]))
            throw n.Error("has no shape computed at load; we import reshapes to constant shapes");
        var target = ShapeOperand(n.Inputs[1]);
        if (n.Int("allowzero", 0) != 0 && target.Any(d => d is { IsNumber: true, Value: 0 }))
            throw n.Error("reshapes to a size-0 axis (allowzero)");
        if (_fixedBatch is not { } batch || target is not [{ IsNumber: true } first, ..] || first.Value != batch) return n;
        string name = $"{n.Name}:shape";
        _shapes[name] = ([ShapeDim.SizeOf(n.Inputs[0], 0), .. target[1..]], false);
        return n.With([n.Inputs[0], name]);
    }

    /// <summary>
    /// PyTorch exports AvgPool2d (count_include_pad=True) as a Pad followed by an AveragePool without pads; the two
    /// become one AveragePool with those pads and count_include_pad=1. Any other Pad is refused.
    /// </summary>
    private void MergePadsIntoAveragePools()
    {
        foreach (var pad in _nodes.Where(n => n.OpType == "Pad").ToList())
        {
            var pads = pad.Ints("pads", []);
            int rank = pads.Length / 2;
            var readers = _nodes.Where(n => n.Inputs.Contains(pad.Outputs[0])).ToList();
            bool spatialOnly = rank >= 3 && pads[0] == 0 && pads[1] == 0 && pads[rank] == 0 && pads[rank + 1] == 0;
            if (!spatialOnly || readers is not [{ OpType: "AveragePool" } pool] || pool.Ints("pads", []).Any(p => p != 0) || pool.Int("count_include_pad", 0) != 0)
                throw pad.Error($"pads [{string.Join(", ", pads)}]; we import zero padding of the spatial axes only in front of an AveragePool (as PyTorch exports AvgPool2d)");
            var attributes = new Dictionary<string, OnnxAttribute>(pool.Attributes)
            {
                ["pads"] = new("pads", AttributeProto.Ints, Ints: [.. pads[2..rank], .. pads[(rank + 2)..]]),
                ["count_include_pad"] = new("count_include_pad", AttributeProto.Int, I: 1),
            };
            _nodes[_nodes.IndexOf(pool)] = pool.With([pad.Inputs[0]], attributes);
            _nodes.Remove(pad);
        }
    }

    /// <summary>The runtime nodes the output depends on, in order (a training-mode export's extra outputs are dropped).</summary>
    private List<OnnxNode> Reachable(string output)
    {
        var needed = new HashSet<string> { output };
        var kept = new List<OnnxNode>();
        for (int i = _nodes.Count - 1; i >= 0; i--)
        {
            if (!_nodes[i].Outputs.Any(needed.Contains)) continue;
            kept.Add(_nodes[i]);
            needed.UnionWith(_nodes[i].Inputs);
        }
        kept.Reverse();
        return kept;
    }

    /// <summary>A copy of <paramref name="a"/>'s data under <paramref name="shape"/> (same element count).</summary>
    private static NdArray Copy(NdArray a, int[] shape)
    {
        var copy = NdArray.Zeros(a.DType, shape, a.Source);
        Array.Copy(a.Data, copy.Data, a.Length);
        return copy;
    }
}
