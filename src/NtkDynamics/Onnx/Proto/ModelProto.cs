namespace NtkDynamics.Onnx.Proto;

// The messages of onnx/onnx.proto (proto2) that we read, with the spec's field numbers. Fields we do not need are
// skipped; the ones we refuse (sparse initializers, external data, tensor segments) are noted so the importer can say so.

/// <summary>ModelProto: the file's top-level message.</summary>
internal sealed class ModelProto
{
    public long IrVersion;                                  // 1
    public string ProducerName = "";                        // 2
    public string ProducerVersion = "";                     // 3
    public GraphProto? Graph;                               // 7
    public readonly List<OperatorSetIdProto> OpsetImport = []; // 8

    public static ModelProto Read(ProtoReader r, long end)
    {
        var m = new ModelProto();
        foreach (int field in r.Fields(end))
            switch (field)
            {
                case 1: m.IrVersion = r.Int64(); break;
                case 2: m.ProducerName = r.String(); break;
                case 3: m.ProducerVersion = r.String(); break;
                case 7: m.Graph = r.Message(GraphProto.Read); break;
                case 8: m.OpsetImport.Add(r.Message(OperatorSetIdProto.Read)); break;
                default: r.Skip(); break;
            }
        return m;
    }
}

/// <summary>OperatorSetIdProto: an operator set (domain "" or "ai.onnx" is the standard one) and its version.</summary>
internal sealed class OperatorSetIdProto
{
    public string Domain = "";  // 1
    public long Version;        // 2

    public static OperatorSetIdProto Read(ProtoReader r, long end)
    {
        var o = new OperatorSetIdProto();
        foreach (int field in r.Fields(end))
            switch (field)
            {
                case 1: o.Domain = r.String(); break;
                case 2: o.Version = r.Int64(); break;
                default: r.Skip(); break;
            }
        return o;
    }
}

/// <summary>GraphProto: nodes in topological order, initializers (the weights), inputs, outputs, value infos.</summary>
internal sealed class GraphProto
{
    public readonly List<NodeProto> Node = [];              // 1
    public string Name = "";                                // 2
    public readonly List<TensorProto> Initializer = [];     // 5
    public readonly List<ValueInfoProto> Input = [];        // 11
    public readonly List<ValueInfoProto> Output = [];       // 12
    public readonly List<ValueInfoProto> ValueInfo = [];    // 13
    public int SparseInitializers;                          // 15 (counted, refused)

    public static GraphProto Read(ProtoReader r, long end)
    {
        var g = new GraphProto();
        foreach (int field in r.Fields(end))
            switch (field)
            {
                case 1: g.Node.Add(r.Message(NodeProto.Read)); break;
                case 2: g.Name = r.String(); break;
                case 5: g.Initializer.Add(r.Message(TensorProto.Read)); break;
                case 11: g.Input.Add(r.Message(ValueInfoProto.Read)); break;
                case 12: g.Output.Add(r.Message(ValueInfoProto.Read)); break;
                case 13: g.ValueInfo.Add(r.Message(ValueInfoProto.Read)); break;
                case 15: g.SparseInitializers++; r.Skip(); break;
                default: r.Skip(); break;
            }
        return g;
    }
}

/// <summary>NodeProto: one operator application.</summary>
internal sealed class NodeProto
{
    public readonly List<string> Input = [];                // 1
    public readonly List<string> Output = [];               // 2
    public string Name = "";                                // 3
    public string OpType = "";                              // 4
    public readonly List<AttributeProto> Attribute = [];    // 5
    public string Domain = "";                              // 7

    public static NodeProto Read(ProtoReader r, long end)
    {
        var n = new NodeProto();
        foreach (int field in r.Fields(end))
            switch (field)
            {
                case 1: n.Input.Add(r.String()); break;
                case 2: n.Output.Add(r.String()); break;
                case 3: n.Name = r.String(); break;
                case 4: n.OpType = r.String(); break;
                case 5: n.Attribute.Add(r.Message(AttributeProto.Read)); break;
                case 7: n.Domain = r.String(); break;
                default: r.Skip(); break;
            }
        return n;
    }
}

/// <summary>AttributeProto: a named value of one type (the <see cref="Type"/> discriminator, field 20).</summary>
internal sealed class AttributeProto
{
    // AttributeProto.AttributeType values.
    public const int Float = 1, Int = 2, String = 3, Tensor = 4, Graph = 5, Floats = 6, Ints = 7, Strings = 8;

    public string Name = "";                                // 1
    public float F;                                         // 2
    public long I;                                          // 3
    public byte[] S = [];                                   // 4
    public TensorProto? T;                                  // 5
    public readonly List<float> FloatList = [];             // 7
    public readonly List<long> IntList = [];                // 8
    public readonly List<byte[]> StringList = [];           // 9
    public int Type;                                        // 20

    public static AttributeProto Read(ProtoReader r, long end)
    {
        var a = new AttributeProto();
        foreach (int field in r.Fields(end))
            switch (field)
            {
                case 1: a.Name = r.String(); break;
                case 2: a.F = r.Float(); break;
                case 3: a.I = r.Int64(); break;
                case 4: a.S = r.Bytes().ToByteArray(); break;
                case 5: a.T = r.Message(TensorProto.Read); break;
                case 7: r.Floats(a.FloatList); break;
                case 8: r.Int64s(a.IntList); break;
                case 9: a.StringList.Add(r.Bytes().ToByteArray()); break;
                case 20: a.Type = (int)r.Int64(); break;
                default: r.Skip(); break;
            }
        return a;
    }
}

/// <summary>ValueInfoProto: a value's name and, for tensors, its element type and shape.</summary>
internal sealed class ValueInfoProto
{
    public string Name = "";    // 1
    public int ElemType;        // 2 (TypeProto) -> 1 (tensor_type) -> 1 (elem_type)
    public List<DimensionProto>? Shape; // 2 -> 1 -> 2 (shape) -> 1 (dim); null when the shape is not given

    public static ValueInfoProto Read(ProtoReader r, long end)
    {
        var v = new ValueInfoProto();
        foreach (int field in r.Fields(end))
            switch (field)
            {
                case 1: v.Name = r.String(); break;
                case 2: r.Message((rt, e) => ReadType(rt, e, v)); break;
                default: r.Skip(); break;
            }
        return v;
    }

    // TypeProto: only its tensor_type (field 1); sequences and maps are not tensors and leave ElemType 0.
    private static bool ReadType(ProtoReader r, long end, ValueInfoProto v)
    {
        foreach (int field in r.Fields(end))
            if (field == 1) r.Message((rt, e) => ReadTensorType(rt, e, v));
            else r.Skip();
        return true;
    }

    private static bool ReadTensorType(ProtoReader r, long end, ValueInfoProto v)
    {
        foreach (int field in r.Fields(end))
            switch (field)
            {
                case 1: v.ElemType = (int)r.Int64(); break;
                case 2: v.Shape = r.Message(ReadShape); break;
                default: r.Skip(); break;
            }
        return true;
    }

    private static List<DimensionProto> ReadShape(ProtoReader r, long end)
    {
        var dims = new List<DimensionProto>();
        foreach (int field in r.Fields(end))
            if (field == 1) dims.Add(r.Message(DimensionProto.Read));
            else r.Skip();
        return dims;
    }
}

/// <summary>TensorShapeProto.Dimension: a size (dim_value) or a symbolic name (dim_param), or neither (unknown).</summary>
internal sealed class DimensionProto
{
    public long? Value;     // 1
    public string? Param;   // 2

    public static DimensionProto Read(ProtoReader r, long end)
    {
        var d = new DimensionProto();
        foreach (int field in r.Fields(end))
            switch (field)
            {
                case 1: d.Value = r.Int64(); break;
                case 2: d.Param = r.String(); break;
                default: r.Skip(); break;
            }
        return d;
    }
}
