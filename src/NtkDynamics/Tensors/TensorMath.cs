using System.Numerics;
using System.Numerics.Tensors;

namespace NtkDynamics.Tensors;

/// <summary>Elementwise kernels shared by layers and the optimiser (SIMD through System.Numerics.Tensors).</summary>
public static class TensorMath
{
    /// <summary>Parallel options: one thread for small work (threads cost more than they save), all cores for large.</summary>
    public static ParallelOptions Options(long work) =>
        new() { MaxDegreeOfParallelism = work < 1 << 16 ? 1 : Environment.ProcessorCount };

    public static void Relu(ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.Max(x, 0f, y);

    // dx = dy where y > 0, else 0
    public static void ReluBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
    {
        int i = 0, w = Vector<float>.Count;
        for (; i + w <= y.Length; i += w)
            Vector.ConditionalSelect(Vector.GreaterThan(new Vector<float>(y[i..]), Vector<float>.Zero), new Vector<float>(dy[i..]), Vector<float>.Zero).CopyTo(dx[i..]);
        for (; i < y.Length; i++) dx[i] = y[i] > 0 ? dy[i] : 0f;
    }

    /// <summary>y += a * x.</summary>
    public static void Axpy(float a, ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.MultiplyAdd(x, a, y, y);

    public static double SumSquares(ReadOnlySpan<float> x)
    {
        double s = 0;
        foreach (float v in x) s += (double)v * v;
        return s;
    }
}
