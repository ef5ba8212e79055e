using System.Text;
using NtkDynamics.Data;
using NtkDynamics.Tensors;

namespace NtkDynamics.Continual;

/// <summary>
/// A task before sampling: its classes and weights, and per class how many train and test images to draw
/// (null: all of them). <paramref name="Key"/> is the config key named in errors.
/// </summary>
internal sealed record TaskPlan(string Name, int[] Classes, double[] Weights, int[]? TrainCounts, int[]? TestCounts, double Similarity, string Key);

/// <summary>
/// A stream of tasks over one data set, as the trainer uses it: the tasks in order (each with train and test indices
/// into the data set's splits), a way to turn indices into a normalised minibatch, the head (its classes and the
/// task-incremental masks) and the probe batches. Built by <see cref="Streams"/>; the same seed gives the same stream.
/// </summary>
public sealed class TaskStream
{
    /// <summary>"class-split", "class-overlap", "frequency-mixture" or "custom".</summary>
    public string Kind { get; }

    public ImageDataset Data { get; }

    /// <summary>Per-channel statistics of the data set's whole training split.</summary>
    public Normalizer Normalizer { get; }

    public HeadKind Head { get; }

    /// <summary>How <see cref="StreamTask.Similarity"/> is measured ("jaccard |A∩B|/|A∪B| of class sets", "1 - |alpha - beta|").</summary>
    public string SimilarityMeasure { get; }

    public IReadOnlyList<StreamTask> Tasks { get; }

    /// <summary>
    /// The data set class behind each logit of the single head: the union of the tasks' classes in order of first
    /// appearance. Labels from <see cref="Batch"/> and the probes are positions in this list.
    /// </summary>
    public int[] HeadClasses { get; }

    /// <summary>The number of logits of the head.</summary>
    public int NumClasses => HeadClasses.Length;

    /// <summary>The class name of each logit.</summary>
    public IReadOnlyList<string> HeadClassNames => HeadClasses.Select(c => Data.ClassNames[c]).ToArray();

    /// <summary>n samples, class-balanced over all of the head's classes, from the probe split, normalised.</summary>
    public Probe Probe { get; }

    private readonly int[] _toHead;
    private readonly int[][][] _pools; // [split][class] -> the split's indices of that class, ascending

    internal TaskStream(string kind, ImageDataset data, IReadOnlyList<TaskPlan> plans, string similarityMeasure, StreamOptions options, ulong seed)
    {
        if (plans.Count == 0) throw new InputException("stream.tasks: a stream needs at least one task");
        if (options.ProbeSize <= 0) throw new InputException($"stream.probe_size: must be positive, got {options.ProbeSize}");
        Kind = kind;
        Data = data;
        Head = options.Head;
        SimilarityMeasure = similarityMeasure;
        Normalizer = options.Normalizer ?? Normalizer.FromSplit(data.Train);
        HeadClasses = plans.SelectMany(p => p.Classes).Distinct().ToArray();
        _toHead = Enumerable.Repeat(-1, data.NumClasses).ToArray();
        for (int h = 0; h < HeadClasses.Length; h++) _toHead[HeadClasses[h]] = h;

        Rng sampleRng = RngFor(seed, SampleStream), probeRng = RngFor(seed, ProbeStream);
        _pools = [data.Train.IndicesPerClass(data.NumClasses), data.Test.IndicesPerClass(data.NumClasses)];
        var tasks = new List<StreamTask>();
        foreach (var plan in plans)
        {
            Rng taskRng = sampleRng.Fork();
            int[] train = Draw(plan.Classes, plan.TrainCounts, _pools[(int)Split.Train], taskRng, plan, "train");
            int[] test = Draw(plan.Classes, plan.TestCounts, _pools[(int)Split.Test], taskRng, plan, "test");
            var mask = new bool[NumClasses];
            foreach (int c in plan.Classes) mask[_toHead[c]] = true;
            int[] probeCounts = Allocation.LargestRemainder(options.ProbeSize, plan.Weights);
            var probe = MakeProbe(options.ProbeSplit, plan.Classes, probeCounts, probeRng.Fork(), "stream.probe_size");
            tasks.Add(new StreamTask
            {
                Index = tasks.Count, Name = plan.Name, Classes = plan.Classes, Weights = plan.Weights,
                TrainIndices = train, TestIndices = test, Similarity = plan.Similarity, Mask = mask, Probe = probe,
            });
        }
        Tasks = tasks;
        int[] balanced = Allocation.LargestRemainder(options.ProbeSize, Enumerable.Repeat(1.0, NumClasses).ToArray());
        Probe = MakeProbe(options.ProbeSplit, HeadClasses, balanced, probeRng.Fork(), "stream.probe_size");
    }

    internal const int SampleStream = 0, ProbeStream = 1, ClassOrderStream = 2;

    /// <summary>An independent generator for one purpose (sampling, probes, class order) under one seed.</summary>
    internal static Rng RngFor(ulong seed, int purpose)
    {
        var root = new Rng(seed);
        for (int k = 0; k < purpose; k++) root.Fork();
        return root.Fork();
    }

    /// <summary>
    /// The images at <paramref name="indices"/> of the data set's <paramref name="split"/>, normalised, (B, C, H, W), and
    /// their labels in the head's numbering. An image whose class is not in the head is an error.
    /// </summary>
    public Batch Batch(Split split, ReadOnlySpan<int> indices)
    {
        var labels = new int[indices.Length];
        var s = Data[split];
        for (int i = 0; i < indices.Length; i++)
        {
            int h = _toHead[s.Labels[indices[i]]];
            if (h < 0) throw new ArgumentException($"{split} image {indices[i]} is of class {s.Labels[indices[i]]}, which no task of this stream has");
            labels[i] = h;
        }
        return new Batch(Normalizer.Apply(s, indices), labels);
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
            text.AppendLine($"  {t.Index} {t.Name}: train {t.TrainIndices.Length}, test {t.TestIndices.Length}, similarity {t.Similarity:F4}, classes {classes}");
        }
        text.AppendLine($"  probe: {Probe.Indices.Length} {Probe.Split.ToString().ToLowerInvariant()} images, class-balanced over the head's classes");
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
    /// split's images of that class, sorted by head label, then index.
    /// </summary>
    private Probe MakeProbe(Split split, int[] classes, int[] counts, Rng rng, string key)
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
        int[] indices = chosen.OrderBy(i => _toHead[labels[i]]).ThenBy(i => i).ToArray();
        var batch = Batch(split, indices);
        return new Probe(split, indices, batch.Images, batch.Labels);
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
