using System.Runtime.CompilerServices;
using NtkDynamics.Nn;
using NtkDynamics.Tensors;

namespace NtkDynamics.Ntk;

/// <summary>
/// The structured empirical NTK: one forward pass over the probe, then one backward pass per logit that stops at the first
/// layer with parameters; each such layer adds its own block (<see cref="INtkBlock"/>) from the input it saw and the output
/// cotangents, never building the whole Jacobian. Logits are processed in groups that fit the memory budget.
/// </summary>
public static class EmpiricalNtk
{
    /// <summary>
    /// Θ on <paramref name="probe"/> (n, ...input shape). Parameters are not changed; parameter gradients are left untouched.
    /// The model keeps the call's cotangent buffers for its next call (unless they exceed an eighth of the memory budget), and
    /// a call that allocated more than 24 MiB of work buffers runs a full garbage collection before it returns.
    /// </summary>
    public static NtkKernel Compute(Model model, Tensor probe, NtkOptions? options = null, Action<string>? progress = null)
    {
        options ??= new NtkOptions();
        CheckProbe(model, probe);
        long allocated = GC.GetTotalAllocatedBytes();
        int n = probe.Shape[0];
        var logits = model.Forward(probe);
        int k = logits.Shape[1];
        if (options.Kind == NtkKind.Logit && (uint)options.Logit >= (uint)k)
            throw new InputException($"ntk.logit: {options.Logit} is not a logit of a model with {k} outputs");

        var paramLayers = model.Layers.Select((l, i) => (Layer: l, Index: i)).Where(t => t.Layer is INtkLayer).ToArray();
        long budget = options.MemoryBudgetBytes / sizeof(float);
        // A group's backward pass holds, per logit: a pooled layer's values and the input gradient computed from them; a dense
        // layer's cotangent copy and, in the layers, gradients of the same size (three copies).
        long perLogit = paramLayers.Sum(t => CotangentFloats(model, t.Index, probe, first: t.Index == paramLayers[0].Index));
        var groups = Groups(options, k, Math.Max(1, budget / 4 / Math.Max(1, perLogit)));
        int pairs = options.Kind == NtkKind.Full ? groups.Count * (groups.Count + 1) / 2 : groups.Count;

        long remaining = budget / 2;
        var blocks = new List<INtkBlock>();
        foreach (var (layer, index) in paramLayers)
        {
            var block = ((INtkLayer)layer).NtkBlock(new NtkPlan(n, groups[0].Length * n, pairs, remaining, options.ConvMethod,
                options.Kind == NtkKind.Trace, IsPooledConv(model, index)));
            remaining = Math.Max(remaining / 8, remaining - block.CachedFloats);
            blocks.Add(block);
        }
        int size = options.Kind == NtkKind.Full ? n * k : n;
        var perParameter = new Dictionary<string, double[]>();
        foreach (var b in blocks) { perParameter[b.WeightName] = new double[size * size]; perParameter[b.BiasName] = new double[size * size]; }

        // Two sets of cotangent buffers (a pair of groups), reused for every group: no garbage the size of the activations per logit.
        var (buffer1, buffer2) = TakeBuffers(model, paramLayers.Length);
        for (int g2 = 0; g2 < groups.Count; g2++)
        {
            progress?.Invoke($"logits {string.Join(",", groups[g2])}");
            var c2 = Cotangents(model, paramLayers, groups[g2], n, k, buffer2);
            AddGroupPair(blocks, c2, c2, groups[g2], groups[g2], options.Kind == NtkKind.Trace ? GramKind.Trace : GramKind.Symmetric, n, k, options.Kind, perParameter);
            if (options.Kind != NtkKind.Full) continue;
            for (int g1 = 0; g1 < g2; g1++)
            {
                var c1 = Cotangents(model, paramLayers, groups[g1], n, k, buffer1);
                AddGroupPair(blocks, c1, c2, groups[g1], groups[g2], GramKind.Pairs, n, k, options.Kind, perParameter);
            }
        }
        var methods = blocks.ToDictionary(b => b.WeightName[..b.WeightName.LastIndexOf('.')], b => b.Method);
        var kernel = new NtkKernel(options.Kind, n, k, perParameter, methods);
        KeepBuffers(model, buffer1, buffer2, budget);
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
        if (probe.Rank < 1 || probe.Shape[0] < 1 || !probe.Shape.AsSpan(1).SequenceEqual(model.Spec.InputShape))
            throw new InputException($"probe: expected shape [n, {string.Join(", ", model.Spec.InputShape)}] for {model.Spec.Describe()}, got {Tensor.Format(probe.Shape)}");
    }

    // Floats of one logit's cotangents for the layer at `index` during a backward pass (see Cotangents).
    private static long CotangentFloats(Model model, int index, Tensor probe, bool first)
    {
        int n = probe.Shape[0];
        var input = InputOf(model, index, probe);
        long output = n * Tensor.Count(model.Layers[index].OutputShape([1, .. input]).AsSpan(1));
        return IsPooledConv(model, index) ? output / 4 + (first ? 0 : n * Tensor.Count(input)) : 3 * output;
    }

    // The input shape (batch 1) that layer `index` sees.
    private static int[] InputOf(Model model, int index, Tensor probe)
    {
        int[] s = [1, .. probe.Shape.AsSpan(1)];
        for (int i = 0; i < index; i++) s = model.Layers[i].OutputShape(s);
        return s[1..];
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
    // layer back-propagates the g·n rows against its one forward pass. The cotangent entering each layer with parameters is
    // kept (rows a*n + i); the pass stops at the first such layer. A Conv2d under ReLU and 2x2 max pooling keeps it pooled,
    // and the pass goes on from the pooled values (PooledInputGradient), without the pool's and the ReLU's own backward.
    private static OutputCotangents[] Cotangents(Model model, (Layer Layer, int Index)[] paramLayers, int[] group, int n, int k, CotangentBuffers buffers)
    {
        var result = new OutputCotangents[paramLayers.Length];
        var seed = new Tensor(group.Length * n, k);
        for (int ai = 0; ai < group.Length; ai++)
            for (int i = 0; i < n; i++) seed.Data[(ai * n + i) * k + group[ai]] = 1f;
        Tensor g = seed;
        int first = paramLayers[0].Index, slot = paramLayers.Length - 1;
        bool masked = false; // g is already times the ReLU's gradient at the maxima of the pool it enters
        for (int li = model.Layers.Count - 1; li >= first; li--)
        {
            if (slot >= 0 && PooledConvAt(model, li) == paramLayers[slot].Index)
            {
                var pool = (MaxPool2d)model.Layers[li];
                result[slot] = OutputCotangents.FromPool(g, pool, buffers.Sources[slot] ??= OutputCotangents.PoolSources(pool), ref buffers.Values[slot], masked);
                li -= 2;
                // The block below is a pooled conv too: its ReLU's gradient at the maxima goes into this input gradient.
                masked = slot > 0 && PooledConvAt(model, li - 1) == paramLayers[slot - 1].Index && PooledInputGradient.Supports((Conv2d)model.Layers[li]);
                if (li > first) g = InputGradient((Conv2d)model.Layers[li], result[slot], buffers, slot, masked);
                slot--;
                continue;
            }
            if (slot >= 0 && paramLayers[slot].Index == li)
                result[slot] = OutputCotangents.Dense(g, ref buffers.Values[slot--]);
            if (li > first) g = model.Layers[li].Backward(g, accumulate: false);
        }
        return result;
    }

    // Back through a Conv2d from its pooled output cotangents: directly where the GEMM's width allows (times [input > 0] when
    // masked), else from their scatter.
    private static Tensor InputGradient(Conv2d conv, OutputCotangents pooled, CotangentBuffers buffers, int slot, bool masked) =>
        PooledInputGradient.Supports(conv)
            ? PooledInputGradient.Compute(conv, pooled, ref buffers.Gradients[slot], masked)
            : conv.Backward(pooled.ToDense(ref buffers.Gradients[slot]), accumulate: false);

    // Whether the layer at `index` is a Conv2d followed by ReLU and MaxPool2d (its cotangents come pooled).
    private static bool IsPooledConv(Model model, int index) => PooledConvAt(model, index + 2) == index;

    // The index of the Conv2d when layers [index - 2, index] are Conv2d, ReLU, MaxPool2d; else -1.
    private static int PooledConvAt(Model model, int index) =>
        index >= 2 && index < model.Layers.Count && model.Layers[index] is MaxPool2d && model.Layers[index - 1] is Relu
        && model.Layers[index - 2] is Conv2d ? index - 2 : -1;

    // Per layer with parameters: its cotangent values, the input gradient computed from pooled values, and the pooled sources
    // (found once per call: every group back-propagates against the same forward pass).
    private sealed class CotangentBuffers(int layers)
    {
        public readonly Tensor?[] Values = new Tensor?[layers];
        public readonly int[]?[] Sources = new int[]?[layers];
        public readonly Tensor?[] Gradients = new Tensor?[layers];

        public long Floats => Values.Concat(Gradients).Sum(t => (long)(t?.Length ?? 0));
    }

    // A model's cotangent buffers from its last call, while the model lives. A call writes its input gradients (21 MB at width
    // 64) into memory the last one faulted in: in fresh memory, their first writes were 70 % of a call's page faults and made
    // it 10-15 % slower. A running call holds them, so concurrent calls on one model each have their own.
    private static readonly ConditionalWeakTable<Model, CotangentBuffers[]> Kept = new();

    private static (CotangentBuffers, CotangentBuffers) TakeBuffers(Model model, int layers)
    {
        lock (Kept)
            if (Kept.TryGetValue(model, out var kept) && kept[0].Values.Length == layers)
            {
                Kept.Remove(model);
                foreach (var b in kept) Array.Clear(b.Sources); // they belong to the last forward pass
                return (kept[0], kept[1]);
            }
        return (new(layers), new(layers));
    }

    // Kept unless they are large against the budget (floats): those are left to the collector.
    private static void KeepBuffers(Model model, CotangentBuffers buffer1, CotangentBuffers buffer2, long budget)
    {
        if (buffer1.Floats + buffer2.Floats > budget / 8) return;
        lock (Kept) Kept.AddOrUpdate(model, [buffer1, buffer2]);
    }

    // Each block's Gram between the groups' rows (a*n + i), placed into the kernels by kind; a pair of different
    // groups also fills its mirror image. A trace Gram is (n x n) already summed over the group's logits.
    private static void AddGroupPair(List<INtkBlock> blocks, OutputCotangents[] c1, OutputCotangents[] c2, int[] group1, int[] group2, GramKind gram,
        int n, int k, NtkKind kind, Dictionary<string, double[]> perParameter)
    {
        bool same = gram != GramKind.Pairs;
        if (gram == GramKind.Trace) { group1 = group2 = [0]; }
        int r1 = group1.Length * n, r2 = group2.Length * n, size = kind == NtkKind.Full ? n * k : n;
        var w = new double[r1 * r2];
        var b = new double[r1 * r2];
        // Group row x = a·n + i is the kernel's row i·k + group[a] (full) or i (trace).
        int[] Index(int[] group, int r) => [.. Enumerable.Range(0, r).Select(x => kind == NtkKind.Full ? x % n * k + group[x / n] : x % n)];
        int[] rows = Index(group1, r1), columns = Index(group2, r2);
        for (int l = 0; l < blocks.Count; l++)
        {
            Array.Clear(w); Array.Clear(b);
            blocks[l].AddGram(c1[l], c2[l], gram, w, b);
            Place(w, rows, columns, perParameter[blocks[l].WeightName], size, mirror: !same);
            Place(b, rows, columns, perParameter[blocks[l].BiasName], size, mirror: !same);
        }
    }

    // target[rows[x], columns[y]] += values[x, y], and at [columns[y], rows[x]] when mirrored. One thread: in parallel it was
    // 1 ms faster for the CNN at width 64, but up to 1.5 ms slower per call for the MLPs, whose thread pool sits idle.
    private static void Place(double[] values, int[] rows, int[] columns, double[] target, int size, bool mirror)
    {
        int r2 = columns.Length;
        for (int x = 0; x < rows.Length; x++)
        {
            int row = rows[x];
            var from = values.AsSpan(x * r2, r2);
            var to = target.AsSpan(row * size, size);
            for (int y = 0; y < from.Length; y++) to[columns[y]] += from[y];
            if (mirror)
                for (int y = 0; y < from.Length; y++) target[columns[y] * size + row] += from[y];
        }
    }
}
