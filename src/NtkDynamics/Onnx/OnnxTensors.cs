using NtkDynamics.Formats;
using NtkDynamics.Onnx.Proto;

namespace NtkDynamics.Onnx;

/// <summary>A named tensor of an ONNX file (an initializer, or a constant folded at load) with its data.</summary>
public sealed record OnnxTensor(string Name, NdArray Value)
{
    public override string ToString() => $"{Name} {Value}";
}

/// <summary>TensorProto -> <see cref="NdArray"/>: FLOAT, DOUBLE, INT64, INT32, UINT8 and BOOL, from raw_data or typed fields.</summary>
internal static class OnnxTensors
{
    /// <summary>Converts <paramref name="t"/>; <paramref name="what"/> ("file.onnx: initializer 'conv1.weight'") starts every error.</summary>
    public static NdArray ToArray(TensorProto t, string what)
    {
        if (t.ExternalData > 0 || t.DataLocation == 1)
            throw new InputException($"{what}: its data is stored outside the .onnx file (external data), which we do not read; " +
                "export the model with its weights inside the file (torch.onnx.export does so below 2 GiB)");
        if (t.HasSegment) throw new InputException($"{what}: stored in segments, which we do not read");
        var dtype = t.DataType switch
        {
            TensorProto.Float => DType.Float32,
            TensorProto.Double => DType.Float64,
            TensorProto.Int64 => DType.Int64,
            TensorProto.Int32 => DType.Int32,
            TensorProto.UInt8 => DType.UInt8,
            TensorProto.Bool => DType.Bool,
            _ => throw new InputException($"{what}: element type {TensorProto.TypeName(t.DataType)} is not supported (FLOAT, DOUBLE, INT64, INT32, UINT8, BOOL)"),
        };
        var shape = new int[t.Dims.Count];
        for (int i = 0; i < shape.Length; i++)
            shape[i] = t.Dims[i] is >= 0 and <= int.MaxValue ? (int)t.Dims[i]
                : throw new InputException($"{what}: dimension {i} is {t.Dims[i]}");
        var array = NdArray.Zeros(dtype, shape, what);
        int count = array.Length;
        if (t.RawData is { } raw)
        {
            long need = (long)count * dtype.ItemSize();
            if (raw.Length != need)
                throw new InputException($"{what}: raw_data has {raw.Length} bytes, shape {Tensors.Tensor.Format(shape)} of {dtype.Name()} needs {need}");
            raw.Span.CopyTo(RawData.AsBytes(array.Data, dtype.ItemSize()));
            if (array.Data is bool[] flags) RawData.CheckBools(flags, what);
            return array;
        }
        switch (array.Data)
        {
            case float[] f: Fill(f, t.FloatData, what); break;
            case double[] d: Fill(d, t.DoubleData, what); break;
            case long[] l: Fill(l, t.Int64Data, what); break;
            case int[] i: Fill(i, t.Int32Data.ConvertAll(v => (int)v), what); break;
            case byte[] b: Fill(b, t.Int32Data.ConvertAll(v => (byte)v), what); break;
            case bool[] b: Fill(b, t.Int32Data.ConvertAll(v => v != 0), what); break;
        }
        return array;
    }

    private static void Fill<T>(T[] into, List<T> values, string what)
    {
        if (values.Count != into.Length)
            throw new InputException($"{what}: has {values.Count} values, its shape needs {into.Length}");
        values.CopyTo(into);
    }
}
