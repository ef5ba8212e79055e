using System.Buffers;
using NtkDynamics.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace NtkDynamics.Nn.Layers;

/// <summary>
/// BatchNorm's NTK block, in the eNTK's modes (running statistics, or the probe's frozen): y = γ x̂ + β with x̂ fixed by the
/// forward pass, so row r = (a, i) with output cotangent D_r (C, S) has the Jacobian rows
///   γ: u_r[c] = Σ_s D_r[c, s] x̂_i[c, s],   β: v_r[c] = Σ_s D_r[c, s],
/// and the blocks are the Grams of those C-vectors.
/// </summary>
internal sealed class BatchNormNtkBlock : INtkBlock
{
    private readonly BatchNorm _layer;
    private readonly int _n, _s;
    private readonly float[] _xhat; // (n, C, S)

    /// <summary>For the eNTK's forward pass <paramref name="state"/> over n samples.</summary>
    public BatchNormNtkBlock(BatchNorm layer, BatchNorm.State state, int n)
    {
        if (state.Mode == Mode.Train) throw new InvalidOperationException($"{layer.Name}: the eNTK needs evaluation or frozen batch statistics, not training mode");
        _layer = layer; _n = n;
        var x = state.Input;
        int c = layer.Channels;
        _s = x.Length / (n * c);
        _xhat = new float[x.Length];
        for (int i = 0; i < n; i++)
            for (int ch = 0; ch < c; ch++)
            {
                int at = (i * c + ch) * _s;
                TensorPrimitives.Add(x.Data.AsSpan(at, _s), -state.Mean[ch], _xhat.AsSpan(at, _s));
                TensorPrimitives.Multiply(_xhat.AsSpan(at, _s), state.InvStd[ch], _xhat.AsSpan(at, _s));
            }
    }

    public IReadOnlyList<string> ParameterNames => [_layer.Weight.Name, _layer.Bias.Name];
    public string Method => "dense";
    public long CachedFloats => _xhat.Length;

    public void AddGram(OutputCotangents c1, OutputCotangents c2, GramKind kind, double[][] grams)
    {
        var (u1, v1) = Rows(c1.Values);
        var (u2, v2) = kind == GramKind.Pairs ? Rows(c2.Values) : (u1, v1);
        int c = _layer.Channels;
        RowGram.Add(u1, u2, c1.Rows, c2.Rows, c, _n, kind, 1.0, grams[0]);
        RowGram.Add(v1, v2, c1.Rows, c2.Rows, c, _n, kind, 1.0, grams[1]);
        foreach (var rows in new[] { u1, v1 }.Concat(kind == GramKind.Pairs ? [u2, v2] : [])) ArrayPool<double>.Shared.Return(rows);
    }

    // d: (R, C, S), row r = a·n + i -> u (R, C) = Σ_s d x̂_i, v (R, C) = Σ_s d, in pooled arrays (fresh ones were page faults
    // on every call), every entry written.
    private (double[] U, double[] V) Rows(Tensor d)
    {
        int rows = d.Shape[0], c = _layer.Channels;
        var u = ArrayPool<double>.Shared.Rent(rows * c);
        var v = ArrayPool<double>.Shared.Rent(rows * c);
        Parallel.For(0, rows, TensorMath.Options(d.Length), r =>
        {
            int i = r % _n;
            for (int ch = 0; ch < c; ch++)
            {
                var dr = d.Data.AsSpan((r * c + ch) * _s, _s);
                u[r * c + ch] = TensorPrimitives.Dot(dr, _xhat.AsSpan((i * c + ch) * _s, _s));
                v[r * c + ch] = TensorPrimitives.Sum(dr);
            }
        });
        return (u, v);
    }
}
