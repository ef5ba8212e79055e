using System.Numerics;
using NtkDynamics.Tensors;

namespace NtkDynamics.Formats;

/// <summary>
/// A typed n-d array as stored in a .npy file or a safetensors entry: a <see cref="DType"/>, a shape (outermost first,
/// empty for a 0-d scalar) and row-major (C order) data in an array of the matching C# type.
/// </summary>
public sealed class NdArray
{
    /// <summary>The element type; <see cref="Data"/> is a float[], double[], long[], int[], byte[] or bool[] to match.</summary>
    public DType DType { get; }

    /// <summary>The dimensions, outermost first; empty for a scalar.</summary>
    public int[] Shape { get; }

    /// <summary>The elements in row-major order; its length is the product of <see cref="Shape"/>.</summary>
    public Array Data { get; }

    /// <summary>Where it came from ("file.npy" or "file.safetensors: name"), for error messages.</summary>
    public string Source { get; init; } = "array";

    public NdArray(float[] data, params int[] shape) : this(DType.Float32, data, shape) { }
    public NdArray(double[] data, params int[] shape) : this(DType.Float64, data, shape) { }
    public NdArray(long[] data, params int[] shape) : this(DType.Int64, data, shape) { }
    public NdArray(int[] data, params int[] shape) : this(DType.Int32, data, shape) { }
    public NdArray(byte[] data, params int[] shape) : this(DType.UInt8, data, shape) { }
    public NdArray(bool[] data, params int[] shape) : this(DType.Bool, data, shape) { }

    private NdArray(DType dtype, Array data, int[] shape)
    {
        if (data.Length != Tensor.Count(shape))
            throw new ArgumentException($"data has {data.Length} elements but shape {Tensor.Format(shape)} needs {Tensor.Count(shape)}");
        DType = dtype;
        Data = data;
        Shape = (int[])shape.Clone();
    }

    /// <summary>A zero-filled array of <paramref name="dtype"/>.</summary>
    public static NdArray Zeros(DType dtype, int[] shape, string source = "array") =>
        new(dtype, Array.CreateInstance(dtype.ElementType(), Tensor.Count(shape)), shape) { Source = source };

    /// <summary>Wraps a tensor's memory (no copy) as a float32 array.</summary>
    public static NdArray From(Tensor t) => new(t.Data, t.Shape);

    public int Length => Data.Length;

    /// <summary>The data as float32: the stored array itself when <see cref="DType"/> is Float32 (no copy), else a rounded copy.</summary>
    public float[] ToFloat() => Convert<float>();

    /// <summary>The data as float64: the stored array itself when <see cref="DType"/> is Float64 (no copy), else an exact copy.</summary>
    public double[] ToDouble() => Convert<double>();

    /// <summary>
    /// The data as int64 (labels, indices): the stored array itself when Int64, else a copy of an integer or bool array.
    /// Float data throws an <see cref="InputException"/> naming <see cref="Source"/>.
    /// </summary>
    public long[] ToInt64() => DType is DType.Float32 or DType.Float64
        ? throw new InputException($"{Source}: expected integer data, got {DType.Name()}")
        : Convert<long>();

    private T[] Convert<T>() where T : INumberBase<T> => Data switch
    {
        T[] same => same,
        float[] a => Array.ConvertAll(a, v => T.CreateTruncating(v)),
        double[] a => Array.ConvertAll(a, v => T.CreateTruncating(v)),
        long[] a => Array.ConvertAll(a, v => T.CreateTruncating(v)),
        int[] a => Array.ConvertAll(a, v => T.CreateTruncating(v)),
        byte[] a => Array.ConvertAll(a, v => T.CreateTruncating(v)),
        bool[] a => Array.ConvertAll(a, v => v ? T.One : T.Zero),
        _ => throw new InvalidOperationException($"NdArray holds a {Data.GetType().Name}"),
    };

    /// <summary>A float32 tensor of the same shape (shares memory when already Float32).</summary>
    public Tensor ToTensor() => new(ToFloat(), Shape);

    public override string ToString() => $"NdArray<{DType.Name()}>{Tensor.Format(Shape)}";
}
