using NtkDynamics.Nn;
using NtkDynamics.Nn.Layers;
using NtkDynamics.Tensors;

namespace NtkDynamics.Ntk.Fusions;

/// <summary>
/// Conv2d → ReLU → 2x2 max pool, matched by the graph's edges: the ReLU is the convolution's only reader and the pool the
/// ReLU's. After the pool a conv output's cotangent is zero except at one position per pooled window and channel (the
/// argmax), so the eNTK keeps it pooled (<see cref="OutputCotangents.IsPooled"/>): the values are the gradient at the
/// pool's output times [pooled output &gt; 0] (the ReLU's gradient at the maximum) and their sources come from the pool's
/// argmax. The convolution's block reads them (<see cref="GatheredJacobian"/>, <see cref="PooledPatchGram"/>) and its input
/// gradient comes from them (<see cref="PooledInputGradient"/>) without the pool's, the ReLU's and the convolution's own
/// backward. docs/entk-engine.md has the arithmetic.
/// </summary>
public sealed class ConvReluPool
{
    public Node Conv { get; }
    public Node Relu { get; }
    public Node Pool { get; }

    private ConvReluPool(Node conv, Node relu, Node pool) { Conv = conv; Relu = relu; Pool = pool; }

    /// <summary>Every match in <paramref name="model"/>, by the pool's node.</summary>
    public static Dictionary<Node, ConvReluPool> Find(Model model)
    {
        var found = new Dictionary<Node, ConvReluPool>();
        foreach (var conv in model.Nodes)
            if (conv.Layer is Conv2d && Only(conv) is { Layer: Nn.Layers.Relu } relu && Only(relu) is { Layer: MaxPool2d { IsTwoByTwo: true } } pool)
                found[pool] = new ConvReluPool(conv, relu, pool);
        return found;
    }

    public override string ToString() => $"{Conv.Name} → {Relu.Name} → {Pool.Name}";

    private static Node? Only(Node node) => node.Consumers.Count == 1 ? node.Consumers[0] : null;

    /// <summary>Whether the gradient this match gives its convolution's input can leave already times [input &gt; 0]: the input
    /// is the pool of another match read by this convolution alone, and the pooled input gradient can do it.</summary>
    public bool MasksInputGradient(IReadOnlyDictionary<Node, ConvReluPool> matches) =>
        Conv.Inputs[0] is var below && matches.ContainsKey(below) && below.Consumers.Count == 1 && PooledInputGradient.Supports((Conv2d)Conv.Layer);

    /// <summary>
    /// The convolution's pooled cotangents from the gradient <paramref name="g"/> at the pool's output (R, C, Ho/2, Wo/2):
    /// values g·[pooled output &gt; 0] with the pool's <paramref name="sources"/> (<see cref="Sources"/>). When g is
    /// <paramref name="masked"/> (zero where the pooled output is) it is used as the values itself, without a copy.
    /// </summary>
    public OutputCotangents Cotangents(Pass pass, Tensor g, int[] sources, ref Tensor? buffer, bool masked)
    {
        var pooled = pass[Pool].Output!;
        int[] denseShape = [g.Shape[0], .. pass[Pool].Input.Shape.AsSpan(1)];
        float[] y = pooled.Data;
        int per = y.Length, q = pooled.Shape[2] * pooled.Shape[3];
        if (masked) return OutputCotangents.Pooled(g.Reshape(g.Shape[0], g.Shape[1], q), sources, denseShape);
        var values = Tensor.ReuseUninitialized(ref buffer, [g.Shape[0], g.Shape[1], q]); // every entry is written below
        float[] gd = g.Data, vd = values.Data;
        Parallel.For(0, g.Length / per, TensorMath.Options(g.Length), t => TensorMath.ReluBackward(y, gd.AsSpan(t * per, per), vd.AsSpan(t * per, per)));
        return OutputCotangents.Pooled(values, sources, denseShape);
    }

    /// <summary>(n, C, Q): for each output of the pool in <paramref name="pass"/>, the position of its maximum in its input plane.</summary>
    public int[] Sources(Pass pass)
    {
        var state = (MaxPool2d.State)pass[Pool];
        int[] argmax = state.Argmax, inShape = state.Input.Shape, outShape = state.Output!.Shape;
        int plane = inShape[2] * inShape[3], q = outShape[2] * outShape[3];
        var sources = new int[argmax.Length];
        for (int plane0 = 0, o = 0; o < sources.Length; plane0 += plane)
            for (int s = 0; s < q; s++, o++) sources[o] = argmax[o] - plane0;
        return sources;
    }

    /// <summary>The gradient at the convolution's input from its pooled cotangents: directly where the GEMM's width allows
    /// (times [input &gt; 0] when <paramref name="masked"/>), else by the convolution's backward of their scatter.</summary>
    public Tensor InputGradient(Pass pass, OutputCotangents pooled, ref Tensor? buffer, bool masked)
    {
        var conv = (Conv2d)Conv.Layer;
        var state = pass[Conv];
        if (PooledInputGradient.Supports(conv)) return PooledInputGradient.Compute(conv, state.Input, pooled, ref buffer, masked);
        state.InputGradient = true;
        return conv.Backward(state, pooled.ToDense(ref buffer), null, inputGradient: true)!;
    }
}
