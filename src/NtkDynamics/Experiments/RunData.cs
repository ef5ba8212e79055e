using System.Globalization;
using System.Text.Json;

namespace NtkDynamics.Experiments;

/// <summary>
/// A run folder (docs/run-folder.md) read back: the resolved config, the task stream, the eNTK measurements, the
/// evaluations and, once the run has ended, its summary. Needs config.yaml, stream.json and metrics.jsonl;
/// accuracy.csv, status.json and summary.json are read when present.
/// </summary>
public sealed class RunData
{
    public const string MetricsFile = "metrics.jsonl";

    /// <summary>The run folder as given.</summary>
    public required string Folder { get; init; }
    /// <summary>The folder's name (a sweep cell's name).</summary>
    public string Name => Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(Folder)));
    public required ExperimentConfig Config { get; init; }
    /// <summary>config.yaml as written.</summary>
    public required string ConfigText { get; init; }
    /// <summary>stream.txt (the stream in words), or null.</summary>
    public string? StreamText { get; init; }
    public required IReadOnlyList<TaskInfo> Tasks { get; init; }
    /// <summary>The measurements in step order (one per step; a repeated step keeps the last line).</summary>
    public required IReadOnlyList<Measurement> Measurements { get; init; }
    /// <summary>accuracy.csv in file order (empty when there is none yet).</summary>
    public required IReadOnlyList<Evaluation> Evaluations { get; init; }
    public RunStatus? Status { get; init; }
    public RunSummary? Summary { get; init; }

    /// <summary>Whether a folder looks like a run folder (has metrics.jsonl).</summary>
    public static bool IsRunFolder(string folder) => File.Exists(Path.Combine(folder, MetricsFile));

    /// <summary>The steps at which task k (k = 1, 2, ...) starts: the last step of task k-1.</summary>
    public IReadOnlyList<int> SwitchSteps => [.. Tasks.Skip(1).Select(t => t.StartStep)];

    /// <summary>The full path of a measurement's saved kernel, or null when none was saved or the file is gone.</summary>
    public string? KernelPath(Measurement m)
    {
        if (m.KernelFile is null) return null;
        string path = Path.Combine(Folder, m.KernelFile);
        return File.Exists(path) ? path : null;
    }

    /// <summary>
    /// A[i, j] = accuracy on task j's test set after training task i: summary.json's matrix when the run has ended, else the last
    /// evaluation of each task i (rows of accuracy.csv with trained_task = i); NaN where there is none yet.
    /// </summary>
    public double[,] AccuracyMatrix()
    {
        int t = Tasks.Count;
        var a = new double[t, t];
        for (int i = 0; i < t; i++)
            for (int j = 0; j < t; j++)
                a[i, j] = double.NaN;
        if (Summary is { } s && s.AccuracyMatrix.Length == t && s.AccuracyMatrix.All(r => r.Length == t))
        {
            for (int i = 0; i < t; i++)
                for (int j = 0; j < t; j++)
                    a[i, j] = s.AccuracyMatrix[i][j];
            return a;
        }
        foreach (Evaluation e in Evaluations.Where(e => e.TrainedTask < t && e.EvalTask < t).OrderBy(e => e.Step))
            a[e.TrainedTask, e.EvalTask] = e.Accuracy;
        return a;
    }

    /// <summary>Reads a run folder; a missing required file or a malformed line is an <see cref="InputException"/> naming it.</summary>
    public static RunData Load(string folder)
    {
        if (!Directory.Exists(folder)) throw new InputException($"{folder}: no such folder");
        string Required(string name)
        {
            string p = Path.Combine(folder, name);
            if (!File.Exists(p)) throw new InputException($"{folder}: not a run folder, {name} is missing");
            return p;
        }
        string metrics = Required(MetricsFile), config = Required("config.yaml"), stream = Required("stream.json");
        string? Optional(string name) => File.Exists(Path.Combine(folder, name)) ? Path.Combine(folder, name) : null;
        return new RunData
        {
            Folder = folder,
            Config = ExperimentConfig.Load(config),
            ConfigText = File.ReadAllText(config),
            StreamText = Optional("stream.txt") is { } txt ? File.ReadAllText(txt) : null,
            Tasks = ReadTasks(stream),
            Measurements = ReadMeasurements(metrics),
            Evaluations = Optional("accuracy.csv") is { } csv ? ReadEvaluations(csv) : [],
            Status = new RunFolder(folder).ReadStatus(),
            Summary = Optional("summary.json") is { } sum ? ReadSummary(sum) : null,
        };
    }

    private static List<TaskInfo> ReadTasks(string path)
    {
        JsonElement root = JsonRead.File(path);
        var tasks = JsonRead.Array(root, "tasks", path).Select((t, i) =>
        {
            string where = $"{path}: tasks[{i}]";
            return new TaskInfo(JsonRead.Int(t, "index", where), JsonRead.String(t, "name", where) ?? $"task {i + 1}",
                JsonRead.Number(t, "similarity", where), JsonRead.Int(t, "start_step", where), JsonRead.Int(t, "end_step", where),
                JsonRead.Number(t, "steps_per_epoch", where));
        }).ToList();
        if (tasks.Count == 0) throw new InputException($"{path}: 'tasks' is empty");
        for (int i = 0; i < tasks.Count; i++)
        {
            if (tasks[i].Index != i) throw new InputException($"{path}: tasks[{i}] has index {tasks[i].Index}, expected {i}");
            if (tasks[i].EndStep < tasks[i].StartStep || (i > 0 && tasks[i].StartStep != tasks[i - 1].EndStep))
                throw new InputException($"{path}: tasks[{i}] spans steps {tasks[i].StartStep}..{tasks[i].EndStep}, which does not follow the previous task");
        }
        return tasks;
    }

    private static List<Measurement> ReadMeasurements(string path)
    {
        var byStep = new SortedDictionary<int, Measurement>();
        int lineNo = 0;
        foreach (string line in File.ReadLines(path))
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            string where = $"{path}:{lineNo}";
            JsonElement o = JsonRead.Line(line, where);
            double N(string key) => JsonRead.Number(o, key, where);
            int step = JsonRead.Int(o, "step", where);
            byStep[step] = new Measurement(step, N("epoch"), o.TryGetProperty("task", out _) ? JsonRead.Int(o, "task", where) : 0,
                N("lambda_max"), JsonRead.Numbers(o, "eigenvalues_top", where), N("trace"), N("effective_rank"),
                N("kernel_distance_init"), N("kernel_distance_switch"), N("kernel_distance_prev"), N("velocity"), N("velocity_epoch"),
                N("alignment"), N("loss"), JsonRead.String(o, "kernel_file", where), TaskDrift(o, where));
        }
        if (byStep.Count == 0) throw new InputException($"{path}: no measurements yet");
        return [.. byStep.Values];
    }

    // old_task_drift: {"0": 0.12, ...} (a task index to a number or null); absent in runs written before it existed.
    private static Dictionary<int, double> TaskDrift(JsonElement o, string where)
    {
        var drift = new Dictionary<int, double>();
        if (!o.TryGetProperty("old_task_drift", out JsonElement d) || d.ValueKind == JsonValueKind.Null) return drift;
        if (d.ValueKind != JsonValueKind.Object) throw new InputException($"{where}: 'old_task_drift' should map task indices to numbers");
        foreach (JsonProperty p in d.EnumerateObject())
        {
            if (!int.TryParse(p.Name, NumberStyles.None, CultureInfo.InvariantCulture, out int task))
                throw new InputException($"{where}: 'old_task_drift' has the key '{p.Name}', not a task index");
            drift[task] = JsonRead.Number(d, p.Name, where);
        }
        return drift;
    }

    private static List<Evaluation> ReadEvaluations(string path)
    {
        string[] lines = File.ReadAllLines(path);
        if (lines.Length == 0) return [];
        string[] header = lines[0].Trim().Split(',');
        string[] want = ["step", "epoch", "trained_task", "eval_task", "accuracy", "loss"];
        int[] col = [.. want.Select(w => Array.IndexOf(header, w))];
        if (col.Any(c => c < 0)) throw new InputException($"{path}: the header should name {string.Join(",", want)}, got '{lines[0]}'");
        var rows = new List<Evaluation>();
        for (int i = 1; i < lines.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(lines[i])) continue;
            string[] f = lines[i].Trim().Split(',');
            if (f.Length != header.Length) throw new InputException($"{path}:{i + 1}: {f.Length} fields, the header has {header.Length}");
            double D(int k) => f[col[k]].Length == 0 ? double.NaN
                : double.TryParse(f[col[k]], NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v
                : throw new InputException($"{path}:{i + 1}: '{want[k]}' should be a number, got '{f[col[k]]}'");
            int I(int k) => double.IsFinite(D(k)) && D(k) == Math.Floor(D(k)) ? (int)D(k)
                : throw new InputException($"{path}:{i + 1}: '{want[k]}' should be an integer, got '{f[col[k]]}'");
            rows.Add(new Evaluation(I(0), D(1), I(2), I(3), D(4), D(5)));
        }
        return rows;
    }

    private static RunSummary ReadSummary(string path)
    {
        JsonElement o = JsonRead.File(path);
        double[][] matrix = [.. JsonRead.Array(o, "accuracy_matrix", path).Select(row => row.ValueKind == JsonValueKind.Array
            ? row.EnumerateArray().Select(v => v.ValueKind == JsonValueKind.Number ? v.GetDouble() : double.NaN).ToArray()
            : throw new InputException($"{path}: 'accuracy_matrix' should be a list of rows"))];
        return new RunSummary(matrix, JsonRead.Number(o, "average_accuracy", path), JsonRead.Number(o, "forgetting", path),
            JsonRead.Number(o, "backward_transfer", path), JsonRead.Number(o, "wall_seconds", path), JsonRead.Number(o, "steps", path),
            JsonRead.Number(o, "train_seconds", path), JsonRead.Number(o, "ntk_seconds", path), JsonRead.Number(o, "forward_transfer", path));
    }
}
