using NtkDynamics.Tensors;

namespace NtkDynamics.Nn.Layers;

/// <summary>
/// An elementwise activation y = f(x) of any shape. A subclass gives f and f' over spans of elements; this class runs them
/// in parallel chunks and, in the backward, once per replica of the forward batch (rows j of r·N read sample j mod N).
/// </summary>
public abstract class Activation : UnaryLayer
{
    // Elements per parallel work item: enough to amortise the scheduling, few enough to split a layer across the cores.
    private const int Chunk = 1 << 14;

    public sealed override int[] OutputShape(int[] inputShape) => inputShape;

    /// <summary>y = f(x) elementwise.</summary>
    protected abstract void Apply(ReadOnlySpan<float> x, Span<float> y);

    /// <summary>dx = f'(x) dy elementwise; <paramref name="x"/> and <paramref name="y"/> are the forward's input and output at
    /// the elements of <paramref name="dy"/>. <paramref name="dx"/> is the layer's own buffer (it may hold scratch values).</summary>
    protected abstract void Derivative(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx);

    // x: any shape; y: the same shape
    public sealed override Tensor Forward(NodeState state, Tensor x)
    {
        var y = Tensor.ReuseUninitialized(ref state.OutputBuffer, x.Shape);
        float[] xd = x.Data, yd = y.Data;
        InChunks(x.Length, (at, n) => Apply(xd.AsSpan(at, n), yd.AsSpan(at, n)));
        return y;
    }

    // dy: (r·N, ...) -> dx: the same shape; replica t reads the forward's x and y at offset 0
    public sealed override Tensor? Backward(NodeState state, Tensor gradOutput, Gradients? gradients, bool inputGradient)
    {
        if (!inputGradient) return null;
        var dx = Tensor.ReuseUninitialized(ref state.GradientBuffer, gradOutput.Shape);
        float[] xd = state.Input.Data, yd = state.Output!.Data, g = gradOutput.Data, d = dx.Data;
        int length = xd.Length;
        InChunks(g.Length, (at, n) =>
        {
            int local = at % length;
            Derivative(xd.AsSpan(local, n), yd.AsSpan(local, n), g.AsSpan(at, n), d.AsSpan(at, n));
        }, length);
        return dx;
    }

    // Calls work(start, count) over [0, total) in chunks that do not cross a multiple of `period` (a replica's boundary).
    private static void InChunks(int total, Action<int, int> work, int period = int.MaxValue)
    {
        if (total == 0) return;
        int perPeriod = Math.Min(period, total), chunksPerPeriod = (perPeriod + Chunk - 1) / Chunk, periods = (total + perPeriod - 1) / perPeriod;
        Parallel.For(0, periods * chunksPerPeriod, TensorMath.Options(total), c =>
        {
            int start = c / chunksPerPeriod * perPeriod + c % chunksPerPeriod * Chunk;
            int end = Math.Min(Math.Min(start + Chunk, (c / chunksPerPeriod + 1) * perPeriod), total);
            if (end > start) work(start, end - start);
        });
    }
}
