using NtkDynamics.Nn;
using NtkDynamics.Tensors;

namespace NtkDynamics.Ntk;

/// <summary>
/// The block of any layer with parameters, from its own backward (nngeometry's design): for each row r = (a, i), the
/// layer's backward against the eNTK's forward pass with the output cotangent D_r at sample i and zero at the others gives
/// its parameters' Jacobian row J_r (the layer need not treat samples independently); the block is the Gram of those rows
/// in float64, per parameter. A new layer is therefore right without a structured block; such a block is a speed-up. Rows
/// go in blocks that fit the budget (a trace kernel takes one logit's n rows at a time).
/// </summary>
internal sealed class GenericNtkBlock : INtkBlock
{
    private readonly Node _node;
    private readonly NodeState _state;
    private readonly Parameter[] _parameters;
    private readonly int[] _offsets; // where each parameter's part starts in a Jacobian row
    private readonly int _n, _length;
    private readonly long _budget;
    private Tensor? _dense1, _dense2;

    public GenericNtkBlock(Node node, NodeState state, NtkPlan plan)
    {
        _node = node; _state = state; _n = plan.Samples; _budget = Math.Max(plan.BudgetFloats, 1 << 20);
        _parameters = node.Layer.Parameters.ToArray();
        _offsets = new int[_parameters.Length + 1];
        for (int p = 0; p < _parameters.Length; p++) _offsets[p + 1] = _offsets[p] + _parameters[p].Value.Length;
        _length = _offsets[^1];
    }

    public IReadOnlyList<string> ParameterNames => _parameters.Select(p => p.Name).ToArray();
    public string Method => "generic";
    public long CachedFloats => 0;

    public void AddGram(OutputCotangents cotangents1, OutputCotangents cotangents2, GramKind kind, double[][] grams)
    {
        var d1 = cotangents1.ToDense(ref _dense1);
        var d2 = kind == GramKind.Pairs ? cotangents2.ToDense(ref _dense2) : d1;
        int rows1 = d1.Shape[0], rows2 = d2.Shape[0], columns = kind == GramKind.Trace ? _n : rows2;
        int block = kind == GramKind.Trace ? _n : (int)Math.Clamp(_budget / 4 / Math.Max(1, _length), 1, Math.Max(rows1, rows2));
        for (int a0 = 0; a0 < rows1; a0 += block)
        {
            int ba = Math.Min(block, rows1 - a0);
            var ja = Jacobian(d1, a0, ba);
            for (int b0 = kind == GramKind.Pairs ? 0 : a0; b0 < (kind == GramKind.Trace ? a0 + 1 : rows2); b0 += block)
            {
                int bb = Math.Min(block, rows2 - b0);
                var jb = kind != GramKind.Pairs && b0 == a0 ? ja : Jacobian(d2, b0, bb);
                // Trace: the block is one logit's n samples, against itself, into (n x n).
                int row0 = kind == GramKind.Trace ? 0 : a0, col0 = kind == GramKind.Trace ? 0 : b0;
                var product = new double[ba * bb];
                for (int p = 0; p < _parameters.Length; p++)
                {
                    int at = _offsets[p], length = _offsets[p + 1] - at;
                    Blas.Gemm(false, true, ba, bb, length, 1.0, ja.AsSpan(at), _length, jb.AsSpan(at), _length, 0.0, product, bb);
                    var gram = grams[p];
                    for (int x = 0; x < ba; x++)
                        for (int y = 0; y < bb; y++)
                        {
                            gram[(row0 + x) * columns + col0 + y] += product[x * bb + y];
                            if (kind == GramKind.Symmetric && b0 > a0) gram[(col0 + y) * columns + row0 + x] += product[x * bb + y];
                        }
                }
            }
        }
        _dense1 = _dense2 = null;
    }

    // Rows [r0, r0 + count) of d (R, ...output): J (count, length) in float64, row r from the layer's backward of the
    // cotangent d[r] at sample r mod n and zero at the other samples, into zeroed gradients.
    private double[] Jacobian(Tensor d, int r0, int count)
    {
        var layer = _node.Layer;
        int per = d.Length / d.Shape[0];
        var seed = new Tensor([_n, .. d.Shape.AsSpan(1)]);
        var into = _parameters.ToDictionary(p => p, p => new Tensor(p.Value.Shape));
        var gradients = Gradients.Into(into);
        var j = new double[(long)count * _length];
        bool inputGradient = _state.InputGradient;
        _state.InputGradient = false;
        for (int r = r0; r < r0 + count; r++)
        {
            int i = r % _n;
            d.Data.AsSpan(r * per, per).CopyTo(seed.Data.AsSpan(i * per, per));
            foreach (var t in into.Values) t.Fill(0f);
            layer.Backward(_state, seed, gradients);
            seed.Data.AsSpan(i * per, per).Clear();
            for (int p = 0; p < _parameters.Length; p++)
            {
                var g = into[_parameters[p]].Data;
                for (int e = 0; e < g.Length; e++) j[(long)(r - r0) * _length + _offsets[p] + e] = g[e];
            }
        }
        _state.InputGradient = inputGradient;
        return j;
    }
}
