using NtkDynamics.Tensors;

namespace NtkDynamics.Nn;

/// <summary>
/// A layer's output cotangents for a group of NTK rows (row a*n + i, logit-major), as its block reads them.
/// Dense: <see cref="Values"/> has the layer's output shape. Pooled, for a Conv2d followed by ReLU and 2x2 max pooling:
/// Values are the cotangents after the pool, zero where the ReLU is off, and <see cref="Sources"/> says where in the
/// convolution's output plane each came from; the dense cotangent is their scatter, at least 3/4 zeros.
/// </summary>
public sealed class OutputCotangents
{
    /// <summary>Dense: (R, ...output shape). Pooled: (R, C, Q) with Q = (Ho/2)(Wo/2) pooled positions.</summary>
    public Tensor Values { get; }

    /// <summary>Pooled only: (n, C, Q), the index in the output plane (Ho·Wo) of each pooled value's source; null when dense.</summary>
    public int[]? Sources { get; }

    /// <summary>The dense shape (R, C, Ho, Wo).</summary>
    public int[] DenseShape { get; }

    public bool Pooled => Sources is not null;

    /// <summary>Rows R = g·n.</summary>
    public int Rows => Values.Shape[0];

    private OutputCotangents(Tensor values, int[]? sources, int[] denseShape)
    {
        Values = values; Sources = sources; DenseShape = denseShape;
    }

    /// <summary>Dense cotangents, copied into <paramref name="buffer"/> (reused across calls).</summary>
    public static OutputCotangents Dense(Tensor g, ref Tensor? buffer)
    {
        var values = Tensor.ReuseUninitialized(ref buffer, g.Shape);
        g.Data.CopyTo(values.Data, 0);
        return new OutputCotangents(values, null, g.Shape);
    }

    /// <summary>
    /// The cotangents of the Conv2d under ReLU then <paramref name="pool"/>, from the gradient <paramref name="g"/> at the
    /// pool's output (R, C, Q): values g·[pooled output &gt; 0] (the ReLU's gradient at the maximum), with the
    /// <paramref name="sources"/> of <see cref="PoolSources"/> for the same forward pass. When g is <paramref name="masked"/>
    /// (zero where the pooled output is) it is used as the values itself, without a copy.
    /// </summary>
    public static OutputCotangents FromPool(Tensor g, MaxPool2d pool, int[] sources, ref Tensor? buffer, bool masked = false)
    {
        float[] y = pool.Output.Data;
        int per = y.Length, q = pool.Output.Shape[2] * pool.Output.Shape[3];
        if (masked) return new OutputCotangents(g.Reshape(g.Shape[0], g.Shape[1], q), sources, [g.Shape[0], .. pool.InputShape.AsSpan(1)]);
        var values = Tensor.ReuseUninitialized(ref buffer, [g.Shape[0], g.Shape[1], q]); // every entry is written below
        float[] gd = g.Data, vd = values.Data;
        Parallel.For(0, g.Length / per, TensorMath.Options(g.Length), t => TensorMath.ReluBackward(y, gd.AsSpan(t * per, per), vd.AsSpan(t * per, per)));
        return new OutputCotangents(values, sources, [g.Shape[0], .. pool.InputShape.AsSpan(1)]);
    }

    /// <summary>(n, C, Q): for each output of <paramref name="pool"/>'s last forward pass, the position of its maximum in its input plane.</summary>
    public static int[] PoolSources(MaxPool2d pool)
    {
        int[] argmax = pool.Argmax, inShape = pool.InputShape;
        int plane = inShape[2] * inShape[3], q = pool.Output.Shape[2] * pool.Output.Shape[3];
        var sources = new int[argmax.Length];
        for (int plane0 = 0, o = 0; o < sources.Length; plane0 += plane)
            for (int s = 0; s < q; s++, o++) sources[o] = argmax[o] - plane0;
        return sources;
    }

    /// <summary>The dense cotangents (R, C, Ho, Wo): this itself when dense, else the scatter of the pooled values into <paramref name="buffer"/>.</summary>
    public Tensor ToDense(ref Tensor? buffer)
    {
        if (Sources is null) return Values;
        var dense = Tensor.Reuse(ref buffer, DenseShape);
        int c = DenseShape[1], plane = DenseShape[2] * DenseShape[3], q = Values.Shape[2], n = Sources.Length / (c * q);
        float[] d = dense.Data, v = Values.Data;
        int[] src = Sources;
        // row r = a*n + i: d[r, ch, src[i, ch, s]] = v[r, ch, s]
        Parallel.For(0, Rows, TensorMath.Options(dense.Length), r =>
        {
            d.AsSpan(r * c * plane, c * plane).Clear();
            int i = r % n;
            for (int ch = 0; ch < c; ch++)
            {
                int dBase = (r * c + ch) * plane, vBase = (r * c + ch) * q, sBase = (i * c + ch) * q;
                for (int s = 0; s < q; s++) d[dBase + src[sBase + s]] = v[vBase + s];
            }
        });
        return dense;
    }
}
