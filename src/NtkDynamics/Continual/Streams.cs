using NtkDynamics.Data;
using NtkDynamics.Tensors;

namespace NtkDynamics.Continual;

/// <summary>
/// Builders of task streams from plain values (what a config file holds). Every bad value is an InputException naming
/// its config key (stream.tasks, stream.classes_per_task, stream.class_order, stream.shifts, stream.set0, stream.set1,
/// stream.alphas, stream.train_size, stream.test_size, stream.tasks_list[i].classes, …).
/// </summary>
public static class Streams
{
    private const string Jaccard = "jaccard |A∩B|/|A∪B| of class sets";

    /// <summary>
    /// Class split: <paramref name="tasks"/> tasks of <paramref name="classesPerTask"/> classes each, taken in turn from
    /// the class order: <paramref name="classOrder"/> when given, a permutation drawn by <paramref name="seed"/> when
    /// <paramref name="shuffle"/>, else 0, 1, 2, …. Each task has all images of its classes. E.g. CIFAR-10 as 2 x 5 or 5 x 2.
    /// </summary>
    public static TaskStream ClassSplit(ImageDataset data, int tasks, int classesPerTask, int[]? classOrder = null, bool shuffle = false,
        ulong seed = 0, StreamOptions? options = null)
    {
        Positive(tasks, "stream.tasks");
        Positive(classesPerTask, "stream.classes_per_task");
        int[] order = ClassOrder(data.NumClasses, classOrder, shuffle, seed);
        if (tasks * classesPerTask > order.Length)
            throw new InputException($"stream.tasks: {tasks} tasks x {classesPerTask} classes need {tasks * classesPerTask} classes but the class order has {order.Length}");
        var sets = Enumerable.Range(0, tasks).Select(t => order[(t * classesPerTask)..((t + 1) * classesPerTask)]).ToArray();
        var plans = sets.Select((set, t) => WholeClasses($"task{t}", set, JaccardIndex(sets[0], set), "stream.class_order")).ToList();
        return new TaskStream("class-split", data, plans, Jaccard, options ?? new StreamOptions(), seed);
    }

    /// <summary>
    /// Sliding class overlap: the first task has classes order[0 .. m-1] and then, for each shift i in
    /// <paramref name="shifts"/>, a task with order[i .. i+m-1] (named E{i}); similarity to the first is the Jaccard
    /// index (m - i) / (m + i) for i &lt; m. The order is <paramref name="classOrder"/> or 0, 1, 2, ….
    /// The paper's E_0..E_10 on CIFAR-100: m = 10, shifts 0..10; on a 10-class data set m = 5, shifts 0..5.
    /// </summary>
    public static TaskStream ClassOverlap(ImageDataset data, int classesPerTask, int[] shifts, int[]? classOrder = null,
        ulong seed = 0, StreamOptions? options = null)
    {
        Positive(classesPerTask, "stream.classes_per_task");
        if (shifts.Length == 0) throw new InputException("stream.shifts: give at least one shift (the first task, shift 0, is always there)");
        int[] order = ClassOrder(data.NumClasses, classOrder, false, seed);
        if (classesPerTask > order.Length)
            throw new InputException($"stream.classes_per_task: {classesPerTask} is more than the {order.Length} classes");
        int[] first = order[..classesPerTask];
        var plans = new List<TaskPlan> { WholeClasses("E0", first, 1, "stream.class_order") };
        foreach (var (shift, k) in shifts.Select((s, k) => (s, k)))
        {
            if (shift < 0 || shift + classesPerTask > order.Length)
                throw new InputException($"stream.shifts[{k}]: shift {shift} is outside 0..{order.Length - classesPerTask} ({order.Length} classes, {classesPerTask} per task)");
            int[] set = order[shift..(shift + classesPerTask)];
            plans.Add(WholeClasses($"E{shift}", set, JaccardIndex(first, set), $"stream.shifts[{k}]"));
        }
        return new TaskStream("class-overlap", data, plans, Jaccard, options ?? new StreamOptions(), seed);
    }

    /// <summary>
    /// Frequency mixture: two disjoint class sets D0 = <paramref name="set0"/> and D1 = <paramref name="set1"/> (null: the
    /// first and second half of the classes); task t has <paramref name="trainSize"/> train and <paramref name="testSize"/>
    /// test images drawn from (1 - α_t) D0 + α_t D1, α_t = <paramref name="alphas"/>[t]. Counts are exact: the size is split
    /// between D0 and D1 by largest remainder (so D1 gets round(α N), a half going to D0), then evenly over each set's
    /// classes (extras to the earlier classes); images are drawn without replacement by <paramref name="seed"/>.
    /// Similarity to the first task is 1 - |α_t - α_0|. The paper's Ẽ_α: alphas [0, α] for α = 0.1..0.9.
    /// </summary>
    public static TaskStream FrequencyMixture(ImageDataset data, double[] alphas, int trainSize, int testSize, int[]? set0 = null, int[]? set1 = null,
        ulong seed = 0, StreamOptions? options = null)
    {
        if (alphas.Length == 0) throw new InputException("stream.alphas: give at least one mixture weight");
        Positive(trainSize, "stream.train_size");
        Positive(testSize, "stream.test_size");
        int half = data.NumClasses / 2;
        int[] d0 = ClassList(data.NumClasses, set0 ?? Enumerable.Range(0, half).ToArray(), "stream.set0");
        int[] d1 = ClassList(data.NumClasses, set1 ?? Enumerable.Range(half, data.NumClasses - half).ToArray(), "stream.set1");
        if (d0.Length == 0 || d1.Length == 0) throw new InputException($"stream.{(d0.Length == 0 ? "set0" : "set1")}: the class set is empty");
        if (d1.FirstOrDefault(d0.Contains, -1) is var shared and >= 0)
            throw new InputException($"stream.set1: class {shared} is also in stream.set0; the two sets must be disjoint");
        var plans = new List<TaskPlan>();
        for (int t = 0; t < alphas.Length; t++)
        {
            double a = alphas[t];
            if (!(a >= 0 && a <= 1)) throw new InputException($"stream.alphas[{t}]: mixture weight {a} is outside [0, 1]");
            var (classes, weights) = MixtureWeights(d0, d1, a);
            plans.Add(new TaskPlan($"alpha={a:0.00}", classes, weights, MixtureCounts(trainSize, d0, d1, a), MixtureCounts(testSize, d0, d1, a),
                1 - Math.Abs(a - alphas[0]), $"stream.alphas[{t}]"));
        }
        return new TaskStream("frequency-mixture", data, plans, "1 - |alpha - beta|", options ?? new StreamOptions(), seed);
    }

    /// <summary>
    /// Any list of tasks: each names its classes, optionally their weights (normalised to sum 1) and its train and test
    /// sizes. Without a size a task has all images of its classes (weights then need sizes). Similarity to the first task
    /// is the Jaccard index of the class sets.
    /// </summary>
    public static TaskStream Custom(ImageDataset data, IReadOnlyList<TaskSpec> tasks, ulong seed = 0, StreamOptions? options = null)
    {
        if (tasks.Count == 0) throw new InputException("stream.tasks_list: give at least one task");
        var plans = new List<TaskPlan>();
        int[]? first = null;
        for (int t = 0; t < tasks.Count; t++)
        {
            var spec = tasks[t];
            string key = $"stream.tasks_list[{t}]";
            int[] classes = ClassList(data.NumClasses, spec.Classes, key + ".classes");
            if (classes.Length == 0) throw new InputException($"{key}.classes: a task needs at least one class");
            double[] weights = Weights(spec, classes.Length, key);
            if (spec.Weights is not null && (spec.TrainSize is null || spec.TestSize is null))
                throw new InputException($"{key}.{(spec.TrainSize is null ? "train_size" : "test_size")}: a task with weights needs its train_size and test_size");
            if (spec.TrainSize is { } train) Positive(train, key + ".train_size");
            if (spec.TestSize is { } test) Positive(test, key + ".test_size");
            first ??= classes;
            int[]? Counts(int? size) => size is { } n ? Allocation.LargestRemainder(n, weights) : null;
            plans.Add(new TaskPlan(spec.Name ?? $"task{t}", classes, weights, Counts(spec.TrainSize), Counts(spec.TestSize), JaccardIndex(first, classes), key));
        }
        return new TaskStream("custom", data, plans, Jaccard, options ?? new StreamOptions(), seed);
    }

    /// <summary>
    /// Superclass split (CIFAR-100's 20 superclasses as 20 tasks): task t has every fine class of superclass order[t]
    /// (5 for CIFAR-100), all their images, the head numbering the fine classes. The order is <paramref name="classOrder"/>
    /// (superclass indices, possibly fewer than all) or 0, 1, 2, …; <paramref name="tasks"/> keeps the first ones.
    /// Needs a data set that knows its superclasses (cifar100).
    /// </summary>
    public static TaskStream SuperclassSplit(ImageDataset data, int? tasks = null, int[]? classOrder = null, bool shuffle = false,
        ulong seed = 0, StreamOptions? options = null)
    {
        if (data.Superclasses is not { } super)
            throw new InputException($"stream.kind: superclass-split needs a data set with superclasses (cifar100, read from CIFAR-100's binary files with their coarse labels); {data.Name} has none");
        int[] order = ClassOrder(data.SuperclassNames!.Count, classOrder, shuffle, seed);
        int n = tasks ?? order.Length;
        Positive(n, "stream.tasks");
        if (n > order.Length) throw new InputException($"stream.tasks: {n} tasks but there are {order.Length} superclasses in the order");
        var sets = order[..n].Select(g => Enumerable.Range(0, data.NumClasses).Where(c => super[c] == g).ToArray()).ToArray();
        var plans = sets.Select((set, t) =>
        {
            if (set.Length == 0) throw new InputException($"stream.class_order: superclass {order[t]} ({data.SuperclassNames[order[t]]}) has no fine classes");
            return WholeClasses(data.SuperclassNames[order[t]], set, JaccardIndex(sets[0], set), "stream.class_order");
        }).ToList();
        return new TaskStream("superclass-split", data, plans, Jaccard, options ?? new StreamOptions(), seed);
    }

    /// <summary>
    /// Permuted inputs (domain-incremental; Goodfellow et al. 2013, Mammoth's perm-mnist): <paramref name="tasks"/> tasks, each
    /// with all classes and all images, its pixels shuffled by its own permutation drawn by <paramref name="seed"/> (the
    /// first task's too). Similarity to the first task is the share of pixel positions both permutations agree on.
    /// </summary>
    public static TaskStream Permuted(ImageDataset data, int tasks, ulong seed = 0, StreamOptions? options = null)
    {
        Positive(tasks, "stream.tasks");
        var rng = TaskStream.RngFor(seed, TaskStream.TransformStream);
        var permutations = Enumerable.Range(0, tasks).Select(_ =>
        {
            int[] p = Enumerable.Range(0, data.Height * data.Width).ToArray();
            rng.Shuffle(p.AsSpan());
            return new PixelPermutation(p);
        }).ToArray();
        return DomainStream("permuted", data, permutations, p => p.Agreement(permutations[0]), t => $"perm{t}",
            "share of pixel positions where the permutation agrees with the first task's", options, seed);
    }

    /// <summary>
    /// Rotated inputs (domain-incremental; Mammoth's rot-mnist): each task has all classes and all images, rotated about the
    /// centre by its angle: <paramref name="angles"/> (degrees, one per task) or, when null, <paramref name="tasks"/> angles
    /// drawn uniformly from [0°, 180°) by <paramref name="seed"/>. Similarity to the first task is 1 - (angle between them) / 180°.
    /// </summary>
    public static TaskStream Rotated(ImageDataset data, int tasks, double[]? angles = null, ulong seed = 0, StreamOptions? options = null)
    {
        Positive(tasks, "stream.tasks");
        if (angles is not null && angles.Length != tasks)
            throw new InputException($"stream.angles: {angles.Length} angles for {tasks} tasks (give one per task, or none to draw them)");
        if (angles?.FirstOrDefault(a => !double.IsFinite(a), 0) is double bad && !double.IsFinite(bad))
            throw new InputException($"stream.angles: {bad} is not a finite angle");
        var rng = TaskStream.RngFor(seed, TaskStream.TransformStream);
        var rotations = (angles ?? Enumerable.Range(0, tasks).Select(_ => 180 * rng.NextDouble()).ToArray()).Select(a => new Rotation(a)).ToArray();
        return DomainStream("rotated", data, rotations, r => r.Similarity(rotations[0]), t => $"rot{rotations[t].Degrees:0.#}",
            "1 - |angle - first angle| / 180 degrees", options, seed);
    }

    private static TaskStream DomainStream<T>(string kind, ImageDataset data, T[] transforms, Func<T, double> similarity, Func<int, string> name,
        string measure, StreamOptions? options, ulong seed) where T : InputTransform
    {
        int[] all = Enumerable.Range(0, data.NumClasses).ToArray();
        var plans = transforms.Select((tr, t) => WholeClasses(name(t), all, similarity(tr), "stream.tasks") with { Transform = tr }).ToList();
        return new TaskStream(kind, data, plans, measure, options ?? new StreamOptions(), seed, domain: true);
    }

    /// <summary>|A∩B| / |A∪B|.</summary>
    public static double JaccardIndex(IReadOnlyCollection<int> a, IReadOnlyCollection<int> b)
    {
        int both = a.Intersect(b).Count();
        return (double)both / (a.Count + b.Count - both);
    }

    private static TaskPlan WholeClasses(string name, int[] classes, double similarity, string key) =>
        new(name, classes, Enumerable.Repeat(1.0 / classes.Length, classes.Length).ToArray(), null, null, similarity, key);

    private static double[] Weights(TaskSpec spec, int count, string key)
    {
        if (spec.Weights is null) return Enumerable.Repeat(1.0 / count, count).ToArray();
        if (spec.Weights.Length != count)
            throw new InputException($"{key}.weights: {spec.Weights.Length} weights for {count} classes");
        for (int k = 0; k < count; k++)
            if (!(spec.Weights[k] > 0) || double.IsInfinity(spec.Weights[k]))
                throw new InputException($"{key}.weights[{k}]: weight {spec.Weights[k]} must be a positive number");
        double sum = spec.Weights.Sum();
        return spec.Weights.Select(w => w / sum).ToArray();
    }

    /// <summary>The classes with weight &gt; 0 under (1 - α) D0 + α D1 (each set uniform) and their weights.</summary>
    private static (int[] Classes, double[] Weights) MixtureWeights(int[] d0, int[] d1, double alpha)
    {
        var pairs = d0.Select(c => (c, w: (1 - alpha) / d0.Length)).Concat(d1.Select(c => (c, w: alpha / d1.Length))).Where(p => p.w > 0).ToArray();
        return (pairs.Select(p => p.c).ToArray(), pairs.Select(p => p.w).ToArray());
    }

    /// <summary>Per-class counts (classes as in <see cref="MixtureWeights"/>): total split over the sets, then evenly within each.</summary>
    private static int[] MixtureCounts(int total, int[] d0, int[] d1, double alpha)
    {
        int[] perSet = Allocation.LargestRemainder(total, [1 - alpha, alpha]);
        var counts = new List<int>();
        if (alpha < 1) counts.AddRange(Allocation.LargestRemainder(perSet[0], Enumerable.Repeat(1.0, d0.Length).ToArray()));
        if (alpha > 0) counts.AddRange(Allocation.LargestRemainder(perSet[1], Enumerable.Repeat(1.0, d1.Length).ToArray()));
        return counts.ToArray();
    }

    /// <summary>The class order: given (validated), shuffled by seed, or the identity.</summary>
    private static int[] ClassOrder(int numClasses, int[]? given, bool shuffle, ulong seed)
    {
        if (given is not null && shuffle) throw new InputException("stream.class_order: give a class order or shuffle, not both");
        if (given is not null) return ClassList(numClasses, given, "stream.class_order");
        int[] order = Enumerable.Range(0, numClasses).ToArray();
        if (shuffle) TaskStream.RngFor(seed, TaskStream.ClassOrderStream).Shuffle(order.AsSpan());
        return order;
    }

    /// <summary>Checks every class is in range and none repeats.</summary>
    private static int[] ClassList(int numClasses, int[] classes, string key)
    {
        var seen = new HashSet<int>();
        for (int k = 0; k < classes.Length; k++)
        {
            if ((uint)classes[k] >= (uint)numClasses)
                throw new InputException($"{key}[{k}]: class {classes[k]} is out of range (the data set has classes 0..{numClasses - 1})");
            if (!seen.Add(classes[k])) throw new InputException($"{key}[{k}]: class {classes[k]} is listed twice");
        }
        return (int[])classes.Clone();
    }

    private static void Positive(int value, string key)
    {
        if (value <= 0) throw new InputException($"{key}: must be positive, got {value}");
    }
}

/// <summary>One task of a custom stream (key stream.tasks_list[i]): its classes, optional weights, optional sizes (null: all images).</summary>
public sealed record TaskSpec(int[] Classes, double[]? Weights = null, int? TrainSize = null, int? TestSize = null, string? Name = null);
