using System.Text;
using NtkDynamics.Data;
using NtkDynamics.Tensors;

namespace NtkDynamics.Continual;

/// <summary>
/// A task before sampling: its classes and weights, and per class how many train and test images to draw
/// (null: all of them). <paramref name="Key"/> is the config key named in errors. <paramref name="Transform"/> changes its
/// inputs (domain-incremental streams); null shows them as they are.
/// </summary>
internal sealed record TaskPlan(string Name, int[] Classes, double[] Weights, int[]? TrainCounts, int[]? TestCounts, double Similarity, string Key,
    InputTransform? Transform = null);

/// <summary>
/// A stream of tasks over one data set, as the trainer uses it: the tasks in order (each with train and test indices
/// into the data set's splits), a way to turn indices into a normalised minibatch, the head (its classes and the
/// task-incremental masks) and the probe batches. Built by <see cref="Streams"/>; the same seed gives the same stream.
/// </summary>
public sealed class TaskStream
{
    /// <summary>"class-split", "class-overlap", "frequency-mixture", "superclass-split", "custom", "permuted" or "rotated".</summary>
    public string Kind { get; }

    /// <summary>
    /// Domain-incremental: every task has all classes and its own <see cref="StreamTask.Transform"/> of the inputs (permuted,
    /// rotated). The probe then shows the same images in every task's domain.
    /// </summary>
    public bool Domain { get; }

    public ImageDataset Data { get; }

    /// <summary>Per-channel statistics of the data set's whole training split.</summary>
    public Normalizer Normalizer { get; }

    public HeadKind Head { get; }

    /// <summary>How <see cref="StreamTask.Similarity"/> is measured ("jaccard |A∩B|/|A∪B| of class sets", "1 - |alpha - beta|").</summary>
    public string SimilarityMeasure { get; }

    public IReadOnlyList<StreamTask> Tasks { get; }

    /// <summary>
    /// The data set class behind each logit of the single head: the union of the tasks' classes in order of first
    /// appearance. Labels from <see cref="Batch(Split, Samples)"/> and the probes are positions in this list.
    /// </summary>
    public int[] HeadClasses { get; }

    /// <summary>The number of logits of the head.</summary>
    public int NumClasses => HeadClasses.Length;

    /// <summary>The class name of each logit.</summary>
    public IReadOnlyList<string> HeadClassNames => HeadClasses.Select(c => Data.ClassNames[c]).ToArray();

    /// <summary>
    /// n samples, class-balanced over all of the head's classes, from the probe split, normalised. In a domain-incremental
    /// stream: n / tasks class-balanced images, shown in each task's domain in turn (rows ordered by task, then label).
    /// </summary>
    public Probe Probe { get; }

    private readonly int[] _toHead;
    private readonly int[][][] _pools; // [split][class] -> the split's indices of that class, ascending
    private readonly InputTransform?[] _transforms; // per task

    internal TaskStream(string kind, ImageDataset data, IReadOnlyList<TaskPlan> plans, string similarityMeasure, StreamOptions options, ulong seed,
        bool domain = false)
    {
        if (plans.Count == 0) throw new InputException("stream.tasks: a stream needs at least one task");
        if (options.ProbeSize <= 0) throw new InputException($"stream.probe_size: must be positive, got {options.ProbeSize}");
        if (domain && options.ProbeSize % plans.Count != 0)
            throw new InputException($"stream.probe_size: a domain-incremental stream shows the same probe images in each of its {plans.Count} tasks' domains; give a multiple of {plans.Count}, got {options.ProbeSize}");
        Kind = kind;
        Domain = domain;
        Data = data;
        Head = options.Head;
        SimilarityMeasure = similarityMeasure;
        Normalizer = options.Normalizer ?? Normalizer.FromSplit(data.Train);
        HeadClasses = plans.SelectMany(p => p.Classes).Distinct().ToArray();
        _toHead = Enumerable.Repeat(-1, data.NumClasses).ToArray();
        for (int h = 0; h < HeadClasses.Length; h++) _toHead[HeadClasses[h]] = h;

        Rng sampleRng = RngFor(seed, SampleStream), probeRng = RngFor(seed, ProbeStream);
        _pools = [data.Train.IndicesPerClass(data.NumClasses), data.Test.IndicesPerClass(data.NumClasses)];
        _transforms = plans.Select(p => p.Transform).ToArray();
        var drawn = new List<(int[] Train, int[] Test, bool[] Mask, Probe Probe)>();
        foreach (var (plan, t) in plans.Select((p, t) => (p, t)))
        {
            Rng taskRng = sampleRng.Fork();
            int[] train = Draw(plan.Classes, plan.TrainCounts, _pools[(int)Split.Train], taskRng, plan, "train");
            int[] test = Draw(plan.Classes, plan.TestCounts, _pools[(int)Split.Test], taskRng, plan, "test");
            var mask = new bool[NumClasses];
            foreach (int c in plan.Classes) mask[_toHead[c]] = true;
            int[] probeCounts = Allocation.LargestRemainder(options.ProbeSize, plan.Weights);
            var probe = MakeProbe(options.ProbeSplit, plan.Classes, probeCounts, probeRng.Fork(), "stream.probe_size", [t]);
            drawn.Add((train, test, mask, probe));
        }
        int probeTasks = domain ? plans.Count : 1;
        int[] balanced = Allocation.LargestRemainder(options.ProbeSize / probeTasks, Enumerable.Repeat(1.0, NumClasses).ToArray());
        Probe = MakeProbe(options.ProbeSplit, HeadClasses, balanced, probeRng.Fork(), "stream.probe_size",
            domain ? Enumerable.Range(0, plans.Count).ToArray() : [0]);
        Tasks = plans.Select((plan, t) => new StreamTask
        {
            Index = t, Name = plan.Name, Classes = plan.Classes, Weights = plan.Weights,
            TrainIndices = drawn[t].Train, TestIndices = drawn[t].Test, Similarity = plan.Similarity, Mask = drawn[t].Mask, Probe = drawn[t].Probe,
            Transform = plan.Transform,
            ProbeRows = Enumerable.Range(0, Probe.Labels.Length).Where(r => domain ? Probe.Tasks[r] == t : drawn[t].Mask[Probe.Labels[r]]).ToArray(),
        }).ToList();
    }

    internal const int SampleStream = 0, ProbeStream = 1, ClassOrderStream = 2, TransformStream = 3;

    /// <summary>An independent generator for one purpose (sampling, probes, class order) under one seed.</summary>
    internal static Rng RngFor(ulong seed, int purpose)
    {
        var root = new Rng(seed);
        for (int k = 0; k < purpose; k++) root.Fork();
        return root.Fork();
    }

    /// <summary>
    /// The images at <paramref name="indices"/> of the data set's <paramref name="split"/> as task <paramref name="task"/>
    /// shows them (its input transform, if any), normalised, (B, C, H, W), and their labels in the head's numbering. An
    /// image whose class is not in the head is an error.
    /// </summary>
    public Batch Batch(Split split, ReadOnlySpan<int> indices, int task)
    {
        var tasks = new int[indices.Length];
        Array.Fill(tasks, task);
        return Batch(split, indices, tasks);
    }

    /// <summary>Training samples (each shown as its own task) as a minibatch.</summary>
    public Batch Batch(Split split, Samples samples) => Batch(split, samples.Indices, samples.Tasks);

    /// <summary>The labels, in the head's numbering, of the images at <paramref name="indices"/> of <paramref name="split"/>.</summary>
    public int[] Labels(Split split, ReadOnlySpan<int> indices)
    {
        var labels = new int[indices.Length];
        var s = Data[split];
        for (int i = 0; i < indices.Length; i++)
        {
            int h = _toHead[s.Labels[indices[i]]];
            if (h < 0) throw new ArgumentException($"{split} image {indices[i]} is of class {s.Labels[indices[i]]}, which no task of this stream has");
            labels[i] = h;
        }
        return labels;
    }

    private Batch Batch(Split split, ReadOnlySpan<int> indices, int[] tasks)
    {
        var labels = Labels(split, indices);
        var s = Data[split];
        var images = Normalizer.Apply(s, indices);
        if (tasks.Any(t => _transforms[t] is not null))
        {
            int size = s.ImageSize;
            var fill = Normalizer.Mean.Select((m, c) => -m / Normalizer.Std[c]).ToArray();
            var scratch = new float[size];
            for (int i = 0; i < indices.Length; i++)
                _transforms[tasks[i]]?.Apply(images.Data.AsSpan(i * size, size), s.Channels, s.Height, s.Width, fill, scratch);
        }
        return new Batch(images, labels);
    }

    /// <summary>The logit mask the trainer applies while training or testing task <paramref name="task"/>: null under the class-incremental head.</summary>
    public bool[]? LogitMask(int task) => Head == HeadKind.TaskIncremental ? Tasks[task].Mask : null;

    /// <summary>A few lines for logs: kind, head, and each task's classes, sizes and similarity.</summary>
    public string Describe()
    {
        var text = new StringBuilder();
        string head = Head == HeadKind.ClassIncremental
            ? $"class-incremental (one head over {NumClasses} classes)"
            : $"task-incremental (logits masked to each task's classes; {NumClasses} logits)";
        text.AppendLine($"stream {Kind} on {Data.Name}: {Tasks.Count} tasks, head {head}, similarity {SimilarityMeasure}");
        foreach (var t in Tasks)
        {
            string classes = string.Join(" ", t.Classes.Select((c, k) =>
                t.Weights.All(w => Math.Abs(w - t.Weights[0]) < 1e-12) ? Data.ClassNames[c] : $"{Data.ClassNames[c]}:{t.Weights[k]:F3}"));
            text.AppendLine($"  {t.Index} {t.Name}: train {t.TrainIndices.Length}, test {t.TestIndices.Length}, similarity {t.Similarity:F4}, " +
                (t.Transform is { } tr ? $"inputs by {tr.Describe()}, all {t.Classes.Length} classes" : $"classes {classes}"));
        }
        text.AppendLine(Domain
            ? $"  probe: {Probe.Indices.Length / Tasks.Count} {Probe.Split.ToString().ToLowerInvariant()} images, class-balanced, shown as each of the {Tasks.Count} tasks ({Probe.Indices.Length} rows)"
            : $"  probe: {Probe.Indices.Length} {Probe.Split.ToString().ToLowerInvariant()} images, class-balanced over the head's classes");
        return text.ToString();
    }

    /// <summary>
    /// Indices of <paramref name="counts"/>[k] images of each of <paramref name="classes"/>, without replacement
    /// (null counts: all images of the classes), ascending.
    /// </summary>
    private static int[] Draw(int[] classes, int[]? counts, int[][] pools, Rng rng, TaskPlan plan, string split)
    {
        var chosen = new List<int>();
        for (int k = 0; k < classes.Length; k++)
        {
            int[] pool = pools[classes[k]];
            if (pool.Length == 0)
                throw new InputException($"{plan.Key}: class {classes[k]} has no {split} images (task {plan.Name})");
            if (counts is null) { chosen.AddRange(pool); continue; }
            if (counts[k] > pool.Length)
                throw new InputException($"{plan.Key}: task {plan.Name} needs {counts[k]} {split} images of class {classes[k]} but the {split} split has {pool.Length}");
            int[] copy = (int[])pool.Clone();
            rng.Shuffle(copy.AsSpan());
            chosen.AddRange(copy.AsSpan(0, counts[k]));
        }
        chosen.Sort();
        return chosen.ToArray();
    }

    /// <summary>
    /// A probe of counts[k] images of each of <paramref name="classes"/>, drawn without replacement from all of the
    /// split's images of that class, sorted by head label, then index; repeated as each task of <paramref name="shownAs"/> shows it.
    /// </summary>
    private Probe MakeProbe(Split split, int[] classes, int[] counts, Rng rng, string key, int[] shownAs)
    {
        var chosen = new List<int>();
        for (int k = 0; k < classes.Length; k++)
        {
            int[] pool = _pools[(int)split][classes[k]];
            if (counts[k] > pool.Length)
                throw new InputException($"{key}: the probe needs {counts[k]} {split.ToString().ToLowerInvariant()} images of class {classes[k]} but there are {pool.Length}");
            int[] copy = (int[])pool.Clone();
            rng.Shuffle(copy.AsSpan());
            chosen.AddRange(copy.AsSpan(0, counts[k]));
        }
        var labels = Data[split].Labels;
        int[] sorted = chosen.OrderBy(i => _toHead[labels[i]]).ThenBy(i => i).ToArray();
        int[] indices = [.. shownAs.SelectMany(_ => sorted)], tasks = [.. shownAs.SelectMany(t => Enumerable.Repeat(t, sorted.Length))];
        var batch = Batch(split, indices, tasks);
        return new Probe(split, indices, batch.Images, batch.Labels, tasks);
    }
}

/// <summary>Choices every stream kind shares.</summary>
/// <param name="Head">The output head (key stream.head: class-incremental or task-incremental).</param>
/// <param name="ProbeSize">Images in each probe (key stream.probe_size).</param>
/// <param name="ProbeSplit">Where probe images come from (key stream.probe_split); the test split by default, so the probe is never trained on.</param>
/// <param name="Normalizer">Normalisation statistics; null computes them from the data set's train split.</param>
public sealed record StreamOptions(HeadKind Head = HeadKind.ClassIncremental, int ProbeSize = 32, Split ProbeSplit = Split.Test, Normalizer? Normalizer = null)
{
    /// <summary>"class-incremental" or "task-incremental" (the config's stream.head).</summary>
    public static HeadKind ParseHead(string text) => text.ToLowerInvariant() switch
    {
        "class-incremental" => HeadKind.ClassIncremental,
        "task-incremental" => HeadKind.TaskIncremental,
        _ => throw new InputException($"stream.head: {text} is not class-incremental or task-incremental"),
    };

    /// <summary>"train" or "test" (the config's stream.probe_split).</summary>
    public static Split ParseSplit(string text) => text.ToLowerInvariant() switch
    {
        "train" => Split.Train,
        "test" => Split.Test,
        _ => throw new InputException($"stream.probe_split: {text} is not train or test"),
    };
}
