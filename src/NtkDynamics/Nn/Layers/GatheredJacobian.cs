using NtkDynamics.Tensors;

namespace NtkDynamics.Nn.Layers;

/// <summary>
/// A Conv2d's per-sample weight Jacobian rows as gathered GEMMs (<see cref="GatherGemm"/>), each sample on one thread:
/// J_r[c, :] = Σ_q V_r[c, q] A_i[src(i, c, q), :]. Dense cotangents sum every patch row (src = q, V = D_r); pooled ones
/// (<see cref="OutputCotangents.IsPooled"/>) one patch row per pooled value, a quarter of the dense D_r A_iᵀ.
/// The patch rows are in (kh, kw, ci) order, a permutation of the weight's columns that no Gram sees. With Cin a multiple
/// of <see cref="GatherGemm"/>'s width each kernel row's k·Cin columns are read straight from the sample's padded
/// channels-last input; otherwise from patch rows built by <see cref="Conv2d.Im2Row"/>, zero-padded to that width.
/// The sample's source rows are taken in column blocks that stay in cache for all channels (the scale s_w is applied by the Gram).
/// </summary>
internal sealed unsafe class GatheredJacobian
{
    private readonly Conv2d _conv;
    private readonly Tensor _x;
    private readonly int _n, _p, _kp;
    private readonly bool _segmented;
    private readonly long _budget;
    private float[]? _hwc;  // (n, H + 2 pad, W + 2 pad, Cin): the padded input channels-last (segmented)
    private float[]? _rows; // (n, P, Kp): every sample's patch rows (not segmented), when they fit the budget

    /// <summary>Plans for <paramref name="conv"/>'s input <paramref name="x"/> (n, Cin, H, W) in the eNTK's forward pass; caches stay
    /// under <paramref name="budgetFloats"/>.</summary>
    public GatheredJacobian(Conv2d conv, Tensor x, long budgetFloats)
    {
        _conv = conv; _x = x; _n = x.Shape[0]; _budget = budgetFloats;
        var os = conv.OutputShape(_x.Shape);
        _p = os[2] * os[3];
        _segmented = conv.InChannels % GatherGemm.ColumnMultiple == 0;
        int k = conv.PatchSize;
        _kp = _segmented ? k : (k + GatherGemm.ColumnMultiple - 1) / GatherGemm.ColumnMultiple * GatherGemm.ColumnMultiple;
    }

    /// <summary>Columns of a Jacobian row: Cin·k·k, padded to GatherGemm's width when not segmented.</summary>
    public int RowLength => _kp;

    /// <summary>Whether each kernel row's columns are read straight from the padded channels-last input (Cin a multiple of the width).</summary>
    public bool Segmented => _segmented;

    /// <summary>Floats held in caches.</summary>
    public long CachedFloats => (_hwc?.LongLength ?? 0) + (_rows?.LongLength ?? 0);

    // oc: pooled values (R, Cout, Q) and sources (n, Cout, Q), or dense values (R, Cout, Ho, Wo) (Q = P, src(i, c, q) = q);
    // j: (R, cn, Kp) rows t*n + i, or (n, g, cn, Kp) when g > 1 (sample-major over the group's logits). For each sample i,
    // channel c and up to 5 of its rows t at a time:
    //   J[(t, i), c - c0, :] = Σ_q V[t*n + i, c, q] A_i[src(i, c, q), :]
    // Segmented: each kernel row's kw·Cin columns straight from the padded channels-last input; else from A_i (Im2Row).
    public void Build(OutputCotangents oc, int c0, int cn, int g, float[] j)
    {
        const int T = GatherGemm.T;
        int rows = oc.Rows, perSample = rows / _n, q = oc.IsPooled ? oc.Values.Shape[2] : _p, kp = _kp, n = _n, cout = _conv.OutChannels, pk = _p * kp;
        int cin = _conv.InChannels, wp = _x.Shape[3] + 2 * _conv.Window.PadW, wo = (wp - _conv.Window.KernelW) / _conv.Window.StrideW + 1, plane = _conv.PaddedPlane(_x);
        int parts = _segmented ? _conv.Window.KernelH : 1, width = _segmented ? _conv.Window.KernelW * cin : kp, rowStride = wp * cin;
        // Columns per pass: that block of all the sample's patch rows (padded pixels or P of them) stays within 256 KiB of cache.
        int sources = _segmented ? plane / cin : _p;
        int block = Math.Clamp((1 << 16) / sources / GatherGemm.ColumnMultiple * GatherGemm.ColumnMultiple, GatherGemm.ColumnMultiple, width);
        if (_segmented) _hwc ??= ChannelsLast();
        else if (_rows is null && (long)n * pk <= _budget) _rows = PatchRows();
        float[] v = oc.Values.Data, jd = j;
        float[]? cached = _segmented ? _hwc : _rows;
        int[]? src = oc.Sources;
        // Where each position's first source row starts in the sample's cache: its kernel-row segment (segmented), or its patch row.
        var at = new int[_p];
        for (int p = 0; p < _p; p++) at[p] = _segmented ? p / wo * _conv.Window.StrideH * rowStride + p % wo * _conv.Window.StrideW * cin : p * kp;
        // Per thread, without a cache: one sample's patch rows.
        Parallel.For(0, n, TensorMath.Options((long)rows * cn * q * kp), () => cached is null ? new float[pk] : [], (i, _, own) =>
        {
            if (cached is null) _conv.Im2Row(_x, i, own, kp, new float[plane]);
            float** hp = stackalloc float*[T];
            float** o = stackalloc float*[T];
            float** b = stackalloc float*[q];
            fixed (float* pc = cached, pown = own, pv = v, pj = jd)
            {
                float* pa = cached is null ? pown : pc + (long)i * (_segmented ? plane : pk);
                for (int part = 0; part < parts; part++)
                    for (int c1 = 0; c1 < width; c1 += block) // this block of the sample's patch rows stays in cache for all channels
                    {
                        int bw = Math.Min(block, width - c1);
                        for (int c = c0; c < c0 + cn; c++)
                        {
                            float* from = pa + part * rowStride + c1;
                            if (src is null) for (int u = 0; u < q; u++) b[u] = from + at[u];
                            else for (int u = 0; u < q; u++) b[u] = from + at[src[(i * cout + c) * q + u]];
                            for (int t0 = 0; t0 < perSample; t0 += T)
                            {
                                int tn = Math.Min(T, perSample - t0);
                                for (int t = 0; t < tn; t++)
                                {
                                    long row = g > 1 ? (long)i * g + t0 + t : (long)(t0 + t) * n + i;
                                    hp[t] = pv + ((long)((t0 + t) * n + i) * cout + c) * q;
                                    o[t] = pj + (row * cn + c - c0) * kp + part * width + c1;
                                }
                                GatherGemm.Multiply(tn, q, bw, hp, b, o);
                            }
                        }
                    }
            }
            return own;
        }, _ => { });
        GatherGemm.Count(2L * rows * cn * q * kp);
    }

    /// <summary>Drops the cached patch rows (they are built again by the next <see cref="Build"/>).</summary>
    public void Release() => _rows = null;

    // (n, P, Kp): every sample's patch rows, built in parallel.
    private float[] PatchRows()
    {
        int pk = _p * _kp, plane = _conv.PaddedPlane(_x);
        var rows = new float[(long)_n * pk];
        Parallel.For(0, _n, TensorMath.Options((long)_n * pk), () => new float[plane], (i, _, scratch) =>
        {
            _conv.Im2Row(_x, i, rows, _kp, scratch, i * pk);
            return scratch;
        }, _ => { });
        return rows;
    }

    // (n, H + 2 pad, W + 2 pad, Cin): the input channels-last with its zero padding.
    private float[] ChannelsLast()
    {
        int plane = _conv.PaddedPlane(_x);
        var hwc = new float[(long)_n * plane];
        Parallel.For(0, _n, TensorMath.Options((long)_n * plane), i => _conv.ChannelsLastPadded(_x, i, hwc.AsSpan(i * plane, plane)));
        return hwc;
    }
}
