using System.Buffers;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using NtkDynamics.Tensors;

namespace NtkDynamics.Nn.Layers;

/// <summary>
/// Conv2d's NTK block. With patches A_i (P, K) of sample i (K = Cin*k*k) and the output cotangent D_r (Cout, P) of row r = (a, i):
/// the weight's Jacobian row is J_r = s_w D_r A_iᵀ (Cout, K) and
///   ⟨J_r, J_s⟩ = s_w² Σ_pq (A_i A_jᵀ)_pq (D_rᵀ D_s)_pq,  bias: s_b² Σ_pq (D_rᵀ D_s)_pq.
/// Two methods, chosen by counting flops: "patch-gram" (the patch Gram A Aᵀ, cached when it fits, times cotangent Grams,
/// tiled over blocks of samples; with dense cotangents and a cached patch Gram a pair of samples at a time, <see cref="DensePatchGram"/>)
/// or "per-sample" (build J_r for a chunk of output channels, then one GEMM Gram).
/// The per-sample method builds J_r by gathered GEMMs, a sample per thread (<see cref="GatheredJacobian"/>); pooled
/// cotangents (a ReLU and 2x2 max pool follow) sum one patch row per pooled value there, a quarter of the dense work, and let
/// the patch-gram method pick the entries of A Aᵀ at the pooled values' sources instead of forming cotangent Grams
/// (<see cref="PooledPatchGram"/>).
/// </summary>
internal sealed class Conv2dNtkBlock : INtkBlock
{
    private const long CacheFloats = 1 << 20; // 4 MiB of Jacobian chunk: its Gram reads it from cache (16 MiB was 20 % slower at w64)
    private const int ChunkChannels = 4;      // ... or 4 channels if more (w128: 5.9 MB, w256: 11.8 MB: 3-6 % faster than 1-2 channels)
    private const long ChunkFloats = 1 << 23; // a Jacobian chunk built by OpenBLAS GEMMs: 32 MiB
    [ThreadStatic] private static float[]? t_j1, t_j2; // Jacobian chunks, shared by the blocks a thread computes (one at a time)
    private readonly Conv2d _conv;
    private readonly Tensor _x;
    private readonly int _n, _p, _k, _cout, _tile;
    private readonly GatheredJacobian _rows; // the per-sample Jacobian rows by gathered GEMMs ...
    private readonly bool _byBlas;           // ... or by OpenBLAS GEMMs (dense, large planes, Cin not a multiple of 16)
    private readonly double _sw2, _sb2;
    private readonly long _budget;
    private float[]? _aa;                 // (nP, nP) patch Gram, when cached
    private bool _aaUpper;                // ... only its sample blocks (i, j ≥ i): pooled cotangents read the others transposed
    private float[] _colsI = [], _colsJ = [], _dI = [], _dJ = [], _aaTile = [], _ddTile = [], _gram = [];
    private Tensor? _dense1, _dense2;      // pooled cotangents scattered for the patch-gram method

    public IReadOnlyList<string> ParameterNames => _conv.Parameters.Select(p => p.Name).ToArray();
    public string Method { get; }
    public long CachedFloats => (_aa?.LongLength ?? 0) + _rows.CachedFloats;

    /// <summary>Plans the block for the input <paramref name="x"/> (n, Cin, H, W) of the eNTK's forward pass.</summary>
    public Conv2dNtkBlock(Conv2d conv, Tensor x, NtkPlan plan)
    {
        _conv = conv; _x = x; _n = plan.Samples; _budget = Math.Max(plan.BudgetFloats, 1 << 20);
        var os = conv.OutputShape(_x.Shape);
        _p = os[2] * os[3]; _k = conv.PatchSize; _cout = conv.OutChannels;
        _rows = new GatheredJacobian(conv, x, _budget / 4);
        // Dense cotangents over a large plane whose patch rows would be padded: OpenBLAS's GEMMs per sample (K x P x g·C) were
        // 5-15 % faster there than gathered ones (ResNet-18 nf20, stages 1-2: Cin 20 and 40, P 1024 and 256). Gathered: 1.5-2x
        // faster at P = 64 (stage 3, k = 64 for the GEMMs), at Cin = 3 and for 1x1 shortcuts.
        _byBlas = !plan.Pooled && !_rows.Segmented && _p >= 256 && _k >= 128;
        _sw2 = (double)conv.Scales.WeightMultiplier * conv.Scales.WeightMultiplier;
        _sb2 = (double)conv.Scales.BiasMultiplier * conv.Scales.BiasMultiplier;

        // Flops per method: patch = the patch Gram (once when cached) + the cotangent Grams; per-sample = building J + its Gram.
        double n = _n, p = _p, k = _k, c = _cout, r = plan.RowsPerGroup, g = r / n, pairs = plan.GroupPairs;
        double np2 = n * p * n * p;
        bool cache = np2 <= _budget / 3.0;
        // A cached patch Gram is a GEMM of the pixels (PixelPatchGram: k² times fewer columns, short ones that run at a third
        // of the GEMM rate here, then k² shifted adds), or the GEMMs of its tiles. Pooled, then per pair of samples, channel and
        // pooled value: Q picked entries of it and g1 multiply-adds into T, then T's contraction with the rows of group 2 (half
        // the pairs within one group). The weights are time measured here against the per-sample method's GEMMs (CNN w64-128).
        double cached = PixelsFit() ? np2 * (2 * conv.InChannels + 30 * conv.Window.KernelH * conv.Window.KernelW) : np2 * k;
        double jp = plan.Pooled ? os[2] / 2 * (os[3] / 2) : p, jk = RowLength;
        double patch = plan.Pooled
            ? (cache ? cached : pairs * np2 * k) + pairs * n * n / 2 * c * jp * (120 * (jp + g) + 6 * (plan.Trace ? g : g * g))
            : (cache ? cached : pairs * np2 * k) + pairs * (plan.Trace ? g : g * g) * np2 * c;
        double perSample = pairs * (2 * r * jp * c * jk + (plan.Trace ? n * n * g : r * r) * c * jk);
        Method = plan.Method is "patch-gram" or "per-sample" ? plan.Method : patch < perSample ? "patch-gram" : "per-sample";
        _tile = Method == "patch-gram" ? TileSamples(cache) : 1;
        if (Method == "patch-gram" && cache)
        {
            _aa = PatchGram(full: !plan.Pooled);
            _colsI = _colsJ = _aaTile = []; // only the cache's construction needed them
        }
    }

    // Columns of a Jacobian row.
    private int RowLength => _byBlas ? _k : _rows.RowLength;

    // Dense cotangents against the cached patch Gram, a pair of samples at a time (DensePatchGram), where its kernels fit the plane.
    private bool BySamplePairs => _aa is not null && !_aaUpper && DensePatchGram.Supports(_p);

    // Largest sample block whose tiles fit the budget left after the cache: 2 (bP)² tiles + 2 K·bP patches + 2 Cout·bP cotangents.
    private int TileSamples(bool cache)
    {
        long left = _budget - (cache ? (long)_n * _p * _n * _p : 0);
        for (int b = _n; b > 1; b--)
        {
            long bp = (long)b * _p;
            if (2 * bp * bp + 2 * bp * _k + 2 * bp * _cout <= left) return b;
        }
        return 1;
    }

    // Whether the patch Gram can come from the pixel Gram: a same-padded convolution, and both Grams fit the budget.
    private bool PixelsFit() => PixelPatchGram.Supports(_conv) && 2L * _n * _p * _n * _p + (long)_n * _p * _conv.InChannels <= _budget / 2;

    // aa (nP, nP) = A Aᵀ over the patches of all samples: from the pixel Gram (only the blocks on and above the diagonal unless
    // full), else tile by tile (cols_I is (K, |I|P)).
    private float[] PatchGram(bool full)
    {
        if (PixelsFit())
        {
            _aaUpper = !full;
            return PixelPatchGram.Compute(_conv, _x, full);
        }
        int np = _n * _p;
        var aa = new float[(long)np * np];
        for (int i0 = 0; i0 < _n; i0 += _tile)
            for (int j0 = i0; j0 < _n; j0 += _tile)
            {
                int bi = Math.Min(_tile, _n - i0), bj = Math.Min(_tile, _n - j0);
                var tile = PatchTile(i0, bi, j0, bj);
                for (int r = 0; r < bi * _p; r++)
                {
                    tile.AsSpan(r * bj * _p, bj * _p).CopyTo(aa.AsSpan((i0 * _p + r) * np + j0 * _p, bj * _p));
                    for (int q = 0; q < bj * _p; q++) aa[(long)(j0 * _p + q) * np + i0 * _p + r] = tile[r * bj * _p + q];
                }
            }
        return aa;
    }

    // (|I|P, |J|P) = cols_Iᵀ cols_J
    private float[] PatchTile(int i0, int bi, int j0, int bj)
    {
        Grow(ref _colsI, _k * bi * _p); Grow(ref _colsJ, _k * bj * _p); Grow(ref _aaTile, bi * _p * bj * _p);
        _conv.Im2Col(_x, i0, bi, _colsI);
        _conv.Im2Col(_x, j0, bj, _colsJ);
        Blas.Gemm(true, false, bi * _p, bj * _p, _k, 1f, _colsI, bi * _p, _colsJ, bj * _p, 0f, _aaTile, bj * _p);
        return _aaTile;
    }

    public void AddGram(OutputCotangents cotangents1, OutputCotangents cotangents2, GramKind kind, double[][] grams)
    {
        double[] weightGram = grams[0];
        double[]? biasGram = _conv.Bias is null ? null : grams[1];
        if (Method == "patch-gram" && cotangents1.IsPooled) AddPooledPatchGram(cotangents1, cotangents2, kind, weightGram, biasGram);
        else if (Method == "patch-gram" && BySamplePairs)
        {
            DensePatchGram.Add(_aa!, cotangents1.Values.Data, cotangents2.Values.Data, cotangents1.Rows, cotangents2.Rows, _n, _cout, _p, kind, _sw2, weightGram);
            if (biasGram is not null) AddBiasGram(cotangents1, cotangents2, kind, biasGram);
        }
        else if (Method == "patch-gram")
        {
            var d1 = cotangents1.ToDense(ref _dense1);
            AddPatchGram(d1, ReferenceEquals(cotangents1, cotangents2) ? d1 : cotangents2.ToDense(ref _dense2), kind, weightGram, biasGram);
        }
        else AddPerSampleGram(cotangents1, cotangents2, kind, weightGram, biasGram);
        // Work buffers go back to the collector, so only one layer's are alive at a time (the memory budget is per layer).
        _colsI = _colsJ = _dI = _dJ = _aaTile = _ddTile = _gram = [];
        _dense1 = _dense2 = null;
        _rows.Release();
    }

    // For logits a1, a2 and sample tiles I, J: DD = D_{a1,I}ᵀ D_{a2,J} (|I|P, |J|P) (for the trace, Σ_a D_{a,I}ᵀ D_{a,J});
    // each (i, j) block of P x P contracts with the patch Gram. Symmetric work (a2 < a1, or J < I on the diagonal) is mirrored.
    private void AddPatchGram(Tensor c1, Tensor c2, GramKind kind, double[] wGram, double[]? bGram)
    {
        bool same = kind != GramKind.Pairs, trace = kind == GramKind.Trace;
        int g1 = c1.Shape[0] / _n, g2 = c2.Shape[0] / _n, r2 = trace ? _n : g2 * _n, np = _n * _p;
        for (int a1 = 0; a1 < (trace ? 1 : g1); a1++)
            for (int a2 = same ? a1 : 0; a2 < (trace ? 1 : g2); a2++)
                for (int i0 = 0; i0 < _n; i0 += _tile)
                    for (int j0 = same && a1 == a2 ? i0 : 0; j0 < _n; j0 += _tile)
                    {
                        int bi = Math.Min(_tile, _n - i0), bj = Math.Min(_tile, _n - j0);
                        Grow(ref _dI, _cout * bi * _p); Grow(ref _dJ, _cout * bj * _p); Grow(ref _ddTile, bi * _p * bj * _p);
                        for (int t = 0; t < (trace ? g1 : 1); t++)
                        {
                            _conv.GatherCotangents(c1, (trace ? t : a1) * _n + i0, bi, _dI);
                            _conv.GatherCotangents(c2, (trace ? t : a2) * _n + j0, bj, _dJ);
                            Blas.Gemm(true, false, bi * _p, bj * _p, _cout, 1f, _dI, bi * _p, _dJ, bj * _p, t == 0 ? 0f : 1f, _ddTile, bj * _p);
                        }
                        float[] aa = _aa ?? PatchTile(i0, bi, j0, bj);
                        int aaLd = _aa is null ? bj * _p : np, aaOff = _aa is null ? 0 : i0 * _p * np + j0 * _p;
                        int ldd = bj * _p;
                        float[] dd = _ddTile;
                        Parallel.For(0, bi * bj, TensorMath.Options((long)bi * bj * _p * _p), ij =>
                        {
                            int i = ij / bj, j = ij % bj;
                            double w = 0, b = 0;
                            for (int p = 0; p < _p; p++)
                            {
                                var ddRow = dd.AsSpan((i * _p + p) * ldd + j * _p, _p);
                                w += TensorPrimitives.Dot(aa.AsSpan(aaOff + (i * _p + p) * aaLd + j * _p, _p), ddRow);
                                if (bGram is not null) b += TensorPrimitives.Sum(ddRow);
                            }
                            int row = a1 * _n + i0 + i, col = a2 * _n + j0 + j;
                            wGram[row * r2 + col] += _sw2 * w;
                            if (bGram is not null) bGram[row * r2 + col] += _sb2 * b;
                            // Same group: pairs a2 > a1 and tiles J > I stand for their mirror images too.
                            if (same && (a1 != a2 || j0 != i0))
                            {
                                wGram[col * r2 + row] += _sw2 * w;
                                if (bGram is not null) bGram[col * r2 + row] += _sb2 * b;
                            }
                        });
                    }
    }

    // Pooled cotangents against the patch Gram (cached, or tile by tile): PooledPatchGram; the bias from the channel sums.
    private unsafe void AddPooledPatchGram(OutputCotangents c1, OutputCotangents c2, GramKind kind, double[] wGram, double[]? bGram)
    {
        bool same = kind != GramKind.Pairs;
        int np = _n * _p;
        for (int i0 = 0; i0 < _n; i0 += _tile)
        {
            int bi = Math.Min(_tile, _n - i0);
            var bySource = PooledPatchGram.BySource(c1, i0, bi, _n);
            for (int j0 = same ? i0 : 0; j0 < _n; j0 += _tile)
            {
                int bj = Math.Min(_tile, _n - j0);
                float[] aa = _aa ?? PatchTile(i0, bi, j0, bj);
                long ld = _aa is null ? bj * _p : np, offset = _aa is null ? 0 : (long)i0 * _p * np + j0 * _p;
                fixed (float* pa = aa) PooledPatchGram.Add(pa + offset, ld, _aa is not null && _aaUpper, i0, bi, j0, bj, c1, bySource, c2, kind, _n, _sw2, wGram);
            }
        }
        if (bGram is not null) AddBiasGram(c1, c2, kind, bGram);
    }

    // For a chunk of output channels [c0, c0+cb): each row's J_r = D_r[c0.., :] A_iᵀ (cb, K), built sample-major, (n, g, cb, K)
    // for a group of g logits, so one GEMM builds a sample's rows of every logit. Full: the Gram of the n·g rows (i, a), J1 J2ᵀ,
    // put back into rows a·n + i. Trace: a sample's row is the concatenation over the logits, [J_(0,i), J_(1,i), ...], so one
    // Gram of the n rows sums them. The rows have GatheredJacobian.RowLength columns.
    private unsafe void AddPerSampleGram(OutputCotangents c1, OutputCotangents c2, GramKind kind, double[] wGram, double[]? bGram)
    {
        bool same = kind != GramKind.Pairs, trace = kind == GramKind.Trace;
        int g1 = c1.Rows / _n, g2 = c2.Rows / _n, kr = RowLength;
        int r1 = trace ? _n : c1.Rows, r2 = trace ? _n : c2.Rows;
        long perChannel = (long)(c1.Rows + (same ? 0 : c2.Rows)) * kr;
        // Gathered Jacobians cost the same in any chunk, so their chunks stay cache-sized (the Gram then reads them from cache),
        // but hold a few channels: each Gram call has a fixed cost (at width 256 one channel is already 2.9 MB). The GEMMs'
        // chunks are larger, thousands of columns for each GEMM.
        long chunk = Math.Min(_budget - (long)kr * _p, _byBlas ? ChunkFloats : Math.Max(CacheFloats, ChunkChannels * perChannel));
        int cb = (int)Math.Clamp(chunk / Math.Max(1, perChannel), 1, _cout);
        // Pooled, as the symmetric sum's triangle: a fresh (320 x 320) per layer was 1.6k page faults of the full kernel's call.
        var gram = ArrayPool<double>.Shared.Rent(r1 * r2);
        Array.Clear(gram, 0, r1 * r2);
        using var symmetric = same ? new SymmetricGram.Sum(r1) : null;
        for (int c0 = 0; c0 < _cout; c0 += cb)
        {
            int cn = Math.Min(cb, _cout - c0), length = (trace ? g1 : 1) * cn * kr;
            var j1 = BuildJacobian(c1, c0, cn, ref t_j1);
            if (same)
            {
                fixed (float* pj = j1) symmetric!.Add(length, pj, length);
                continue;
            }
            var j2 = BuildJacobian(c2, c0, cn, ref t_j2);
            Grow(ref _gram, r1 * r2);
            Blas.Gemm(false, true, r1, r2, length, 1f, j1, length, j2, length, 0f, _gram, r2);
            for (int i = 0; i < r1 * r2; i++) gram[i] += _gram[i];
        }
        symmetric?.AddTo(gram);
        // Gram row (i, a) = i·g + a is the group's row a·n + i.
        for (int x = 0; x < r1; x++)
        {
            int row = trace ? x : x % g1 * _n + x / g1;
            for (int y = 0; y < r2; y++) wGram[row * r2 + (trace ? y : y % g2 * _n + y / g2)] += _sw2 * gram[x * r2 + y];
        }
        ArrayPool<double>.Shared.Return(gram);
        if (bGram is not null) AddBiasGram(c1, c2, kind, bGram);
    }

    // Bias: S_r = Σ_p D_r[c, p] (R, Cout); Gram = S1 S2ᵀ (for the trace, over a sample's logits concatenated).
    private void AddBiasGram(OutputCotangents c1, OutputCotangents c2, GramKind kind, double[] bGram)
    {
        var s1 = ChannelSums(c1);
        RowGram.Add(s1, kind != GramKind.Pairs ? s1 : ChannelSums(c2), c1.Rows, c2.Rows, _cout, _n, kind, _sb2, bGram);
    }

    // j (n, g, cn, Kr), sample-major over the group's g logits: sample i's g·cn rows are the stacked D_(a,i)[c0..c0+cn, :]
    // (g cn, P) · A_iᵀ (P, K): one OpenBLAS GEMM per sample with A_i (K, P) the im2col of sample i alone, or GatheredJacobian.
    private float[] BuildJacobian(OutputCotangents oc, int c0, int cn, ref float[]? j)
    {
        int g = oc.Rows / _n;
        if (!_byBlas)
        {
            Grow(ref j, (long)oc.Rows * cn * _rows.RowLength, zeroed: false); // every entry is built
            _rows.Build(oc, c0, cn, g, j);
            return j;
        }
        var cot = oc.Values;
        Grow(ref j, (long)oc.Rows * cn * _k, zeroed: false); // every row is a GEMM's output
        if (g > 1) Grow(ref _dI, g * cn * _p);
        Grow(ref _colsI, _k * _p);
        for (int i = 0; i < _n; i++)
        {
            _conv.Im2Col(_x, i, 1, _colsI);
            var d = cot.Data.AsSpan((i * _cout + c0) * _p, cn * _p);
            if (g > 1)
            {
                for (int t = 0; t < g; t++) cot.Data.AsSpan(((t * _n + i) * _cout + c0) * _p, cn * _p).CopyTo(_dI.AsSpan(t * cn * _p));
                d = _dI.AsSpan(0, g * cn * _p);
            }
            Blas.Gemm(false, true, g * cn, _k, _p, 1f, d, _p, _colsI.AsSpan(0, _k * _p), _p, 0f, j.AsSpan(i * g * cn * _k, g * cn * _k), _k);
        }
        return j;
    }

    // (R, Cout): Σ_p D_r[c, p] (summed in float32, kept in float64), row r = a*n + i. Pooled values have the same sums as their scatter.
    private double[] ChannelSums(OutputCotangents oc)
    {
        var cot = oc.Values;
        int rows = oc.Rows, p = cot.Length / rows / _cout;
        var s = new double[rows * _cout];
        for (int r = 0; r < rows * _cout; r++) s[r] = TensorPrimitives.Sum(cot.Data.AsSpan(r * p, p));
        return s;
    }

    private static void Grow([System.Diagnostics.CodeAnalysis.NotNull] ref float[]? buffer, long length, bool zeroed = true)
    {
        if (buffer is null || buffer.Length < length) buffer = zeroed ? new float[length] : GC.AllocateUninitializedArray<float>((int)length);
    }
}
