using NtkDynamics.Tensors;

namespace NtkDynamics.Nn;

/// <summary>
/// A layer's output cotangents for a group of NTK rows (row a*n + i, logit-major), as its block reads them.
/// Dense: <see cref="Values"/> has the layer's output shape. Pooled, for a Conv2d followed by ReLU and 2x2 max pooling (the
/// eNTK's fusion, Ntk/Fusions): Values are the cotangents after the pool, zero where the ReLU is off, and <see cref="Sources"/>
/// says where in the convolution's output plane each came from; the dense cotangent is their scatter, at least 3/4 zeros.
/// </summary>
public sealed class OutputCotangents
{
    /// <summary>Dense: (R, ...output shape). Pooled: (R, C, Q) with Q = (Ho/2)(Wo/2) pooled positions.</summary>
    public Tensor Values { get; }

    /// <summary>Pooled only: (n, C, Q), the index in the output plane (Ho·Wo) of each pooled value's source; null when dense.</summary>
    public int[]? Sources { get; }

    /// <summary>The dense shape (R, C, Ho, Wo).</summary>
    public int[] DenseShape { get; }

    public bool IsPooled => Sources is not null;

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

    /// <summary>Dense cotangents that are <paramref name="g"/> itself: valid while the backward pass is at the node.</summary>
    public static OutputCotangents View(Tensor g) => new(g, null, g.Shape);

    /// <summary>Pooled cotangents: <paramref name="values"/> (R, C, Q) and their <paramref name="sources"/> (n, C, Q) in the
    /// plane of <paramref name="denseShape"/> (R, C, Ho, Wo).</summary>
    public static OutputCotangents Pooled(Tensor values, int[] sources, int[] denseShape) => new(values, sources, denseShape);

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
