namespace NtkDynamics.Tensors;

/// <summary>A float32 tensor: a shape over contiguous row-major memory.</summary>
public sealed class Tensor
{
    /// <summary>The dimensions, outermost first (NCHW for images).</summary>
    public int[] Shape { get; }

    /// <summary>The elements in row-major order; its length is the product of <see cref="Shape"/>.</summary>
    public float[] Data { get; }

    public Tensor(params int[] shape) : this(new float[Count(shape)], shape) { }

    /// <summary>Wraps existing memory (no copy); its length must equal the shape's element count.</summary>
    public Tensor(float[] data, params int[] shape)
    {
        if (data.Length != Count(shape))
            throw new ArgumentException($"data has {data.Length} elements but shape {Format(shape)} needs {Count(shape)}");
        Data = data;
        Shape = (int[])shape.Clone();
    }

    public int Length => Data.Length;
    public int Rank => Shape.Length;
    public Span<float> Span => Data;

    /// <summary>The size of dimension <paramref name="d"/>; negative counts from the end.</summary>
    public int Dim(int d) => Shape[d < 0 ? Shape.Length + d : d];

    /// <summary>The same memory under another shape with the same element count.</summary>
    public Tensor Reshape(params int[] shape) => new(Data, shape);

    public Tensor Clone() => new((float[])Data.Clone(), Shape);

    public void Fill(float value) => Array.Fill(Data, value);

    /// <summary>The contiguous slice of the first dimension [start, start+count) as a span.</summary>
    public Span<float> Rows(int start, int count)
    {
        int stride = Length / Shape[0];
        return Data.AsSpan(start * stride, count * stride);
    }

    public bool ShapeEquals(ReadOnlySpan<int> shape) => Shape.AsSpan().SequenceEqual(shape);

    public static int Count(ReadOnlySpan<int> shape)
    {
        long n = 1;
        foreach (int d in shape)
        {
            if (d < 0) throw new ArgumentException($"negative dimension in shape {Format(shape)}");
            n *= d;
        }
        if (n > Array.MaxLength) throw new ArgumentException($"shape {Format(shape)} has {n} elements, more than one array holds");
        return (int)n;
    }

    /// <summary>"[2, 3, 32, 32]".</summary>
    public static string Format(ReadOnlySpan<int> shape) => "[" + string.Join(", ", shape.ToArray()) + "]";

    public override string ToString() => $"Tensor{Format(Shape)}";

    /// <summary>Returns <paramref name="buffer"/> if it already has <paramref name="shape"/>, else a new tensor: reuse on hot paths.</summary>
    public static Tensor Reuse(ref Tensor? buffer, params int[] shape)
    {
        if (buffer is null || !buffer.ShapeEquals(shape)) buffer = new Tensor(shape);
        return buffer;
    }

    /// <summary>As <see cref="Reuse"/>, but a new tensor is not zeroed: for a caller that writes every entry.</summary>
    public static Tensor ReuseUninitialized(ref Tensor? buffer, params int[] shape)
    {
        if (buffer is null || !buffer.ShapeEquals(shape)) buffer = new Tensor(GC.AllocateUninitializedArray<float>(Count(shape)), shape);
        return buffer;
    }
}
