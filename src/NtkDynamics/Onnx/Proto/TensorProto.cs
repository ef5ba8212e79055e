using Google.Protobuf;

namespace NtkDynamics.Onnx.Proto;

/// <summary>
/// TensorProto: a tensor's dims, element type and data, in exactly one of raw_data (little-endian, fixed width) or a
/// typed field (float_data, int32_data, int64_data, double_data). External data and segments are recorded to be refused.
/// </summary>
internal sealed class TensorProto
{
    // TensorProto.DataType values.
    public const int Float = 1, UInt8 = 2, Int8 = 3, UInt16 = 4, Int16 = 5, Int32 = 6, Int64 = 7, String = 8, Bool = 9,
        Float16 = 10, Double = 11, UInt32 = 12, UInt64 = 13, BFloat16 = 16;

    public readonly List<long> Dims = [];                   // 1
    public int DataType;                                    // 2
    public bool HasSegment;                                 // 3
    public readonly List<float> FloatData = [];             // 4
    public readonly List<long> Int32Data = [];              // 5 (int32 varints, read as int64)
    public int StringCount;                                 // 6
    public readonly List<long> Int64Data = [];              // 7
    public string Name = "";                                // 8
    public ByteString? RawData;                             // 9
    public readonly List<double> DoubleData = [];           // 10
    public int ExternalData;                                // 13 (entries counted)
    public long DataLocation;                               // 14 (1 = EXTERNAL)

    public static TensorProto Read(ProtoReader r, long end)
    {
        var t = new TensorProto();
        foreach (int field in r.Fields(end))
            switch (field)
            {
                case 1: r.Int64s(t.Dims); break;
                case 2: t.DataType = (int)r.Int64(); break;
                case 3: t.HasSegment = true; r.Skip(); break;
                case 4: r.Floats(t.FloatData); break;
                case 5: r.Int64s(t.Int32Data); break;
                case 6: t.StringCount++; r.Skip(); break;
                case 7: r.Int64s(t.Int64Data); break;
                case 8: t.Name = r.String(); break;
                case 9: t.RawData = r.Bytes(); break;
                case 10: r.Doubles(t.DoubleData); break;
                case 13: t.ExternalData++; r.Skip(); break;
                case 14: t.DataLocation = r.Int64(); break;
                default: r.Skip(); break;
            }
        return t;
    }

    /// <summary>The name of a TensorProto.DataType value ("FLOAT16"), for messages.</summary>
    public static string TypeName(int type) => type switch
    {
        Float => "FLOAT", UInt8 => "UINT8", Int8 => "INT8", UInt16 => "UINT16", Int16 => "INT16", Int32 => "INT32",
        Int64 => "INT64", String => "STRING", Bool => "BOOL", Float16 => "FLOAT16", Double => "DOUBLE", UInt32 => "UINT32",
        UInt64 => "UINT64", BFloat16 => "BFLOAT16", 0 => "UNDEFINED", _ => $"type {type}",
    };
}
