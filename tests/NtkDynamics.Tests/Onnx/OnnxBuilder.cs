using System.Text;
using Google.Protobuf;

namespace NtkDynamics.Tests.Onnx;

/// <summary>
/// Writes small ONNX files for the importer's error tests, field by field with Google.Protobuf's CodedOutputStream
/// (field numbers of onnx/onnx.proto). A message is a list of (field, value): long = varint, float = fixed32,
/// string = UTF-8, byte[] = a nested message or bytes, long[] = packed varints.
/// </summary>
internal static class OnnxBuilder
{
    public static byte[] Message(params (int Field, object Value)[] fields)
    {
        using var ms = new MemoryStream();
        var o = new CodedOutputStream(ms);
        foreach (var (field, value) in fields)
            switch (value)
            {
                case long v: o.WriteTag(field, WireFormat.WireType.Varint); o.WriteInt64(v); break;
                case int v: o.WriteTag(field, WireFormat.WireType.Varint); o.WriteInt64(v); break;
                case float v: o.WriteTag(field, WireFormat.WireType.Fixed32); o.WriteFloat(v); break;
                case string v: o.WriteTag(field, WireFormat.WireType.LengthDelimited); o.WriteString(v); break;
                case byte[] v: o.WriteTag(field, WireFormat.WireType.LengthDelimited); o.WriteBytes(ByteString.CopyFrom(v)); break;
                case long[] v:
                    o.WriteTag(field, WireFormat.WireType.LengthDelimited);
                    o.WriteLength(v.Sum(x => CodedOutputStream.ComputeInt64Size(x)));
                    foreach (long x in v) o.WriteInt64(x);
                    break;
                default: throw new ArgumentException($"field {field}: {value.GetType().Name}");
            }
        o.Flush();
        return ms.ToArray();
    }

    /// <summary>A ModelProto (IR 8) importing the standard opset <paramref name="opset"/>.</summary>
    public static byte[] Model(byte[] graph, long opset = 17, long irVersion = 8) =>
        Message((1, irVersion), (2, "test"), (7, graph), (8, Message((1, ""), (2, opset))));

    public static byte[] Graph(byte[][] nodes, byte[][] initializers, byte[][] inputs, byte[][] outputs) =>
        Message([.. nodes.Select(n => (1, (object)n)), (2, "g"), .. initializers.Select(t => (5, (object)t)),
            .. inputs.Select(v => (11, (object)v)), .. outputs.Select(v => (12, (object)v))]);

    public static byte[] Node(string op, string[] inputs, string[] outputs, string name = "", params byte[][] attributes) =>
        Message([.. inputs.Select(i => (1, (object)i)), .. outputs.Select(o => (2, (object)o)), (3, name), (4, op),
            .. attributes.Select(a => (5, (object)a))]);

    public static byte[] IntsAttribute(string name, params long[] values) => Message((1, name), (8, values), (20, 7L));

    public static byte[] FloatAttribute(string name, float value) => Message((1, name), (2, value), (20, 1L));

    /// <summary>A FLOAT tensor with raw_data.</summary>
    public static byte[] Tensor(string name, long[] dims, float[] values, params (int, object)[] extra) =>
        Message([(1, dims), (2, 1L), (8, name), (9, values.SelectMany(BitConverter.GetBytes).ToArray()), .. extra]);

    /// <summary>A FLOAT tensor value info with a shape; a null dimension is the symbolic "batch".</summary>
    public static byte[] Value(string name, params long?[] dims)
    {
        var shape = Message([.. dims.Select(d => (1, (object)(d is { } v ? Message((1, v)) : Message((2, "batch")))))]);
        return Message((1, name), (2, Message((1, Message((1, 1L), (2, shape))))));
    }

    /// <summary>x [N, 4] -> Gemm(w [3, 4], transB) -> y: the smallest valid model, with one node swappable.</summary>
    public static byte[] Linear(long opset = 17, byte[]? node = null, byte[][]? initializers = null, byte[][]? inputs = null) =>
        Model(Graph(
            [node ?? Node("Gemm", ["x", "w"], ["y"], "fc", Message((1, "transB"), (3, 1L), (20, 2L)))],
            initializers ?? [Tensor("w", [3, 4], new float[12])],
            inputs ?? [Value("x", null, 4)],
            [Value("y", null, 3)]), opset);

    public static string Utf8(byte[] b) => Encoding.UTF8.GetString(b);
}
