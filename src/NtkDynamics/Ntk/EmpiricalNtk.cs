using System.Runtime.CompilerServices;
using NtkDynamics.Nn;
using NtkDynamics.Ntk.Fusions;
using NtkDynamics.Tensors;

namespace NtkDynamics.Ntk;

/// <summary>
/// The structured empirical NTK of any graph: one forward pass over the probe (in evaluation mode: BatchNorm's running
/// statistics, or the probe's own frozen), then one backward pass per group of logits that goes only where layers with
/// parameters are; each such layer adds its own block (<see cref="INtkBlock"/>: its structured block, or the generic one from
/// its backward) from the forward pass's activations and its output cotangents, never building the whole Jacobian. Logits
/// are processed in groups that fit the memory budget. Patterns of nodes with faster arithmetic (Ntk/Fusions) are matched by
/// the graph's edges.
/// </summary>
public static class EmpiricalNtk
{
    /// <summary>
    /// Θ on <paramref name="probe"/> (n, ...input shape). Parameters, buffers and parameter gradients are not changed, nor the
    /// model's own pass. The model keeps the call's forward pass and cotangent buffers for its next call (unless the buffers
    /// exceed an eighth of the memory budget), and a call that allocated more than 24 MiB of work buffers runs a full garbage
    /// collection before it returns.
    /// </summary>
    public static NtkKernel Compute(Model model, Tensor probe, NtkOptions? options = null, Action<string>? progress = null)
    {
        options ??= new NtkOptions();
        CheckProbe(model, probe);
        long allocated = GC.GetTotalAllocatedBytes();
        int n = probe.Shape[0];
        var kept = Take(model);
        var pass = kept.Pass;
        pass.Mode = options.ProbeBatchStatistics ? Mode.FrozenBatchStatistics : Mode.Eval;
        var logits = pass.Forward(probe);
        int k = logits.Shape[1];
        if (options.Kind == NtkKind.Logit && (uint)options.Logit >= (uint)k)
            throw new InputException($"ntk.logit: {options.Logit} is not a logit of a model with {k} outputs");

        var fusions = options.Fuse ? ConvReluPool.Find(model) : [];
        var fusedConvs = fusions.Values.ToDictionary(f => f.Conv);
        var nodes = model.ParameterNodes.ToArray();
        long budget = options.MemoryBudgetBytes / sizeof(float);
        var groups = Groups(options, k, LogitsPerGroup(pass, nodes, fusedConvs, n, k, options.Kind, budget / 4));
        // A full kernel of several groups keeps a group's cotangents for its pairs with the groups before it.
        bool keep = options.Kind == NtkKind.Full && groups.Count > 1;
        int pairs = options.Kind == NtkKind.Full ? groups.Count * (groups.Count + 1) / 2 : groups.Count;

        long remaining = budget / 2;
        var blocks = new List<INtkBlock>();
        foreach (var node in nodes)
        {
            var plan = new NtkPlan(n, groups[0].Length * n, pairs, remaining, options.ConvMethod, options.Kind == NtkKind.Trace, fusedConvs.ContainsKey(node));
            var block = !options.GenericBlocks && node.Layer is INtkLayer structured ? structured.NtkBlock(pass[node], plan) : new GenericNtkBlock(node, pass[node], plan);
            remaining = Math.Max(remaining / 8, remaining - block.CachedFloats);
            blocks.Add(block);
        }
        var grams = new Grams(blocks, n, k, options.Kind);

        // Each block adds its Grams while the backward pass is at its node, from the cotangents as they are (kept ones are
        // copied into one set of buffers, reused for every group).
        var (kept2, live1) = (kept.Buffers[0], kept.Buffers[1]);
        foreach (var b in kept.Buffers) b.Prepare(nodes.Length);
        var same = options.Kind == NtkKind.Trace ? GramKind.Trace : GramKind.Symmetric;
        for (int g2 = 0; g2 < groups.Count; g2++)
        {
            progress?.Invoke($"logits {string.Join(",", groups[g2])}");
            int[] group2 = groups[g2];
            var c2 = Cotangents(pass, nodes, fusions, group2, n, k, kept2, keep && g2 > 0, (l, c) => grams.Add(l, c, c, group2, group2, same));
            for (int g1 = 0; g1 < (options.Kind == NtkKind.Full ? g2 : 0); g1++)
            {
                int[] group1 = groups[g1];
                Cotangents(pass, nodes, fusions, group1, n, k, live1, false, (l, c) => grams.Add(l, c, c2[l], group1, group2, GramKind.Pairs));
            }
        }
        var perParameter = grams.PerParameter;
        var methods = nodes.Zip(blocks).ToDictionary(t => t.First.Name, t => t.Second.Method);
        var kernel = new NtkKernel(options.Kind, n, k, perParameter, methods, fusions.Values.Select(f => f.ToString()).ToArray());
        Keep(model, kept, budget);
        // The call's work buffers (cotangents, Jacobian chunks, patch Grams: 80 MB for the full kernel at width 64) are dead
        // now. Left to the collector, they were taken by blocking full collections in the middle of later calls, which then
        // also faulted in fresh pages: the next calls took 20-40 % longer. Collected here, with none of them alive, they take
        // a millisecond or two.
        if (GC.GetTotalAllocatedBytes() - allocated > CollectAfterBytes) GC.Collect();
        return kernel;
    }

    // Work buffers allocated by one call above which it collects them before returning (a small kernel's are left to the GC).
    private const long CollectAfterBytes = 24L << 20;

    internal static void CheckProbe(Model model, Tensor probe)
    {
        if (probe.Rank < 1 || probe.Shape[0] < 1 || !probe.Shape.AsSpan(1).SequenceEqual(model.InputShape))
            throw new InputException($"probe: expected shape [n, {string.Join(", ", model.InputShape)}] for {model.Description}, got {Tensor.Format(probe.Shape)}");
    }

    // How many logits a group's backward pass may hold in `floats`. Per logit it holds the pass's live gradients (a few of the
    // largest gradients it forms: a gradient, its layer's input gradient, a sum where a value fans out), a fused pool's values and
    // input gradient, and, for a full kernel of several groups, a copy of every node's cotangents (one group with all
    // logits when its pass fits without them).
    private static long LogitsPerGroup(Pass pass, Node[] nodes, Dictionary<Node, ConvReluPool> fusedConvs, int n, int k, NtkKind kind, long floats)
    {
        var skipped = fusedConvs.Values.SelectMany(f => new[] { f.Conv, f.Relu }).ToHashSet(); // a fusion never forms their gradients
        long live = 4L * n * pass.Model.Nodes.Where(node => pass.HasParameterAncestor(node) && !skipped.Contains(node))
            .Select(node => (long)Tensor.Count(node.OutputShape)).DefaultIfEmpty(1).Max();
        foreach (var node in nodes.Where(fusedConvs.ContainsKey))
        {
            bool inputGradient = node.Inputs.Any(pass.HasParameterAncestor);
            live += (long)n * Tensor.Count(node.OutputShape) / 4 + (inputGradient ? (long)n * Tensor.Count(node.Inputs[0].OutputShape) : 0);
        }
        if (kind != NtkKind.Full || k * live <= floats) return Math.Max(1, floats / live);
        long copies = nodes.Sum(node => (long)n * Tensor.Count(node.OutputShape) / (fusedConvs.ContainsKey(node) ? 4 : 1));
        return Math.Max(1, floats / (live + copies));
    }

    // Logit: the one. Full and trace: consecutive groups of at most `fit` logits, as even as they can be (a group of 9 and
    // one of 1 would run the small one's backward pass at a fraction of the large one's rate).
    private static List<int[]> Groups(NtkOptions o, int k, long fit)
    {
        if (o.Kind == NtkKind.Logit) return [[o.Logit]];
        long most = Math.Clamp(fit, 1, k);
        int count = (int)((k + most - 1) / most); // as many groups as needed, of even sizes
        return Enumerable.Range(0, k).Chunk((k + count - 1) / count).ToList();
    }

    // One backward pass for the whole group: the seed has a row per (logit a, sample i), row a*n + i holding e_a, and every
    // node back-propagates the g·n rows against the one forward pass, only where nodes with parameters are. The cotangent
    // reaching the l-th node with parameters (rows a*n + i) goes to `use(l, cotangents)` there; when `keep`, they are copies
    // in `buffers`, returned for later use. Fusions take over their nodes' backward (Capture).
    private static OutputCotangents[] Cotangents(Pass pass, Node[] nodes, Dictionary<Node, ConvReluPool> fusions, int[] group, int n, int k,
        CotangentBuffers buffers, bool keep, Action<int, OutputCotangents> use)
    {
        var seed = new Tensor(group.Length * n, k);
        for (int ai = 0; ai < group.Length; ai++)
            for (int i = 0; i < n; i++) seed.Data[(ai * n + i) * k + group[ai]] = 1f;
        var capture = new Capture(nodes, fusions, buffers, keep, use);
        pass.Backward(seed, null, inputGradient: false, capture);
        return capture.Result;
    }

    // The eNTK's part of a backward pass: at a node with parameters it hands the output cotangent to its block (its layer's
    // backward then goes on); at the pool of a fused Conv2d → ReLU → max pool it makes the convolution's cotangents pooled
    // and goes on from the convolution's input, skipping the three nodes' own backward.
    private sealed class Capture(Node[] nodes, Dictionary<Node, ConvReluPool> fusions, CotangentBuffers buffers, bool keep, Action<int, OutputCotangents> use) : IBackwardStep
    {
        private readonly Dictionary<Node, int> _slot = nodes.Select((node, i) => (node, i)).ToDictionary(t => t.node, t => t.i);
        private readonly HashSet<Node> _masked = []; // nodes whose gradient came already times the ReLU's gradient at its maxima

        public OutputCotangents[] Result { get; } = new OutputCotangents[nodes.Length];

        public bool Step(Node node, Tensor gradOutput, Pass pass)
        {
            if (fusions.TryGetValue(node, out var f))
            {
                int slot = _slot[f.Conv];
                var sources = buffers.Sources[slot] ??= f.Sources(pass);
                var pooled = Result[slot] = f.Cotangents(pass, gradOutput, sources, ref buffers.Values[slot], _masked.Contains(node));
                use(slot, pooled);
                var input = f.Conv.Inputs[0];
                if (pass.Wanted(input))
                {
                    bool masked = f.MasksInputGradient(fusions);
                    pass.Give(input, f.InputGradient(pass, pooled, ref buffers.Gradients[slot], masked));
                    if (masked) _masked.Add(input);
                }
                return true;
            }
            if (_slot.TryGetValue(node, out int s))
                use(s, Result[s] = keep ? OutputCotangents.Dense(gradOutput, ref buffers.Values[s]) : OutputCotangents.View(gradOutput));
            return false;
        }
    }

    // Per node with parameters: its cotangent values, the input gradient computed from pooled values, and the pooled sources
    // (found once per call: every group back-propagates against the same forward pass).
    private sealed class CotangentBuffers
    {
        public Tensor?[] Values = [];
        public int[]?[] Sources = [];
        public Tensor?[] Gradients = [];

        public long Floats => Values.Concat(Gradients).Sum(t => (long)(t?.Length ?? 0));

        // For a call over `nodes` nodes with parameters: the sources belong to the last forward pass.
        public void Prepare(int nodes)
        {
            if (Values.Length != nodes) (Values, Gradients) = (new Tensor?[nodes], new Tensor?[nodes]);
            Sources = new int[]?[nodes];
        }
    }

    // What a model keeps between calls: its eNTK pass (the probe's activations) and two sets of cotangent buffers.
    private sealed class Kept(Pass pass)
    {
        public Pass Pass { get; } = pass;
        public CotangentBuffers[] Buffers { get; } = [new(), new()];
    }

    // A model's eNTK pass and cotangent buffers from its last call, while the model lives. A call writes its input gradients
    // (21 MB at width 64) into memory the last one faulted in: in fresh memory, their first writes were 70 % of a call's page
    // faults and made it 10-15 % slower. A running call holds them, so concurrent calls on one model each have their own.
    private static readonly ConditionalWeakTable<Model, Kept> KeptByModel = new();

    private static Kept Take(Model model)
    {
        lock (KeptByModel)
            if (KeptByModel.TryGetValue(model, out var kept))
            {
                KeptByModel.Remove(model);
                return kept;
            }
        return new Kept(model.NewPass(Mode.Eval));
    }

    // Kept unless the cotangent buffers are large against the budget (floats): those are left to the collector with the pass.
    private static void Keep(Model model, Kept kept, long budget)
    {
        if (kept.Buffers.Sum(b => b.Floats) > budget / 8) return;
        lock (KeptByModel) KeptByModel.AddOrUpdate(model, kept);
    }

    // The kernel's sums per parameter, and each block's Grams between two groups' rows (a*n + i) placed into them by kind; a
    // pair of different groups also fills its mirror image. A trace Gram is (n x n), already summed over the group's logits.
    private sealed class Grams
    {
        private readonly List<INtkBlock> _blocks;
        private readonly int _n, _k, _size;
        private readonly NtkKind _kind;
        private readonly List<double[]> _work = [];

        public Grams(List<INtkBlock> blocks, int n, int k, NtkKind kind)
        {
            (_blocks, _n, _k, _kind) = (blocks, n, k, kind);
            _size = kind == NtkKind.Full ? n * k : n;
            // Uninitialised: a block's first Grams that cover the whole kernel (one group) are written into it, so each page is
            // touched once (+= into fresh zeros read the zero page first, then faulted again to write); otherwise it is cleared.
            _perParameter = blocks.SelectMany(b => b.ParameterNames).ToDictionary(name => name, _ => GC.AllocateUninitializedArray<double>(_size * _size));
        }

        private readonly Dictionary<string, double[]> _perParameter;
        private readonly HashSet<string> _written = [];

        /// <summary>The blocks per parameter: zero where no Grams were added.</summary>
        public Dictionary<string, double[]> PerParameter
        {
            get
            {
                foreach (var (name, block) in _perParameter) if (_written.Add(name)) Array.Clear(block);
                return _perParameter;
            }
        }

        public void Add(int l, OutputCotangents c1, OutputCotangents c2, int[] group1, int[] group2, GramKind gram)
        {
            if (gram == GramKind.Trace) { group1 = group2 = [0]; }
            int r1 = group1.Length * _n, r2 = group2.Length * _n;
            // Group row x = a·n + i is the kernel's row i·k + group[a] (full) or i (trace).
            int[] Index(int[] group, int r) => [.. Enumerable.Range(0, r).Select(x => _kind == NtkKind.Full ? x % _n * _k + group[x / _n] : x % _n)];
            var names = _blocks[l].ParameterNames;
            while (_work.Count < names.Count) _work.Add([]);
            for (int p = 0; p < names.Count; p++)
            {
                if (_work[p].Length != r1 * r2) _work[p] = new double[r1 * r2];
                else Array.Clear(_work[p]);
            }
            var mine = _work.Take(names.Count).ToArray();
            _blocks[l].AddGram(c1, c2, gram, mine);
            int[] rows = Index(group1, r1), columns = Index(group2, r2);
            bool whole = r1 == _size && r2 == _size && gram != GramKind.Pairs; // rows and columns are permutations of the kernel's
            for (int p = 0; p < names.Count; p++)
            {
                var target = _perParameter[names[p]];
                bool first = _written.Add(names[p]);
                if (first && !whole) Array.Clear(target);
                Place(mine[p], rows, columns, target, _size, mirror: gram == GramKind.Pairs, assign: first && whole);
            }
        }
    }

    // target[rows[x], columns[y]] += values[x, y] (= when assign), and at [columns[y], rows[x]] when mirrored. One thread: in parallel it was
    // 1 ms faster for the CNN at width 64, but up to 1.5 ms slower per call for the MLPs, whose thread pool sits idle.
    private static void Place(double[] values, int[] rows, int[] columns, double[] target, int size, bool mirror, bool assign = false)
    {
        int r2 = columns.Length;
        for (int x = 0; x < rows.Length; x++)
        {
            int row = rows[x];
            var from = values.AsSpan(x * r2, r2);
            var to = target.AsSpan(row * size, size);
            if (assign) for (int y = 0; y < from.Length; y++) to[columns[y]] = from[y];
            else for (int y = 0; y < from.Length; y++) to[columns[y]] += from[y];
            if (mirror)
                for (int y = 0; y < from.Length; y++) target[columns[y] * size + row] += from[y];
        }
    }
}
