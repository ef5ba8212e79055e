using System.Text.Json;
using NtkDynamics.Ntk;
using NtkDynamics.Ntk.Metrics;

namespace NtkDynamics.Experiments;

/// <summary>
/// Turns each probe kernel into one metrics row (docs/run-folder.md): spectrum, distances to Θ_0, to the kernel at the
/// start of the current task and to the previous measurement, velocity, alignment with the probe labels, layer shares, and
/// each finished task's kernel drift: the kernel restricted to that task's probe rows (<paramref name="taskRows"/>; each row
/// is <paramref name="logitsPerRow"/> kernel rows in a full kernel) against the same block at the task's end (a task
/// without probe rows has none).
/// Holds the reference kernels, which a checkpoint saves so a resumed run continues with the same numbers.
/// </summary>
public sealed class KernelTracker(int[] probeLabels, int numClasses, int topEigenvalues, int[][]? taskRows = null, int logitsPerRow = 1)
{
    /// <summary>Each finished task's block of the kernel measured at its last step.</summary>
    public Dictionary<int, double[]> TaskEnd { get; } = [];

    public double[]? Initial { get; set; }
    public double[]? AtSwitch { get; set; }
    public double[]? Previous { get; set; }
    public int PreviousStep { get; set; }
    public double PreviousEpoch { get; set; }
    public int SwitchTask { get; set; }

    /// <summary>A row of metrics.jsonl for the kernel at <paramref name="step"/> (task <paramref name="task"/>);
    /// <paramref name="endsTask"/>: this is the measurement at the task's last step, whose block becomes the task's reference.</summary>
    public Dictionary<string, object?> Measure(NtkKernel kernel, int step, double epoch, int task, int taskStep, double? loss, string? kernelFile, double seconds,
        bool endsTask = false)
    {
        var k = kernel.Values;
        if (endsTask && taskRows is not null && taskRows[task].Length > 0) TaskEnd[task] = Block(k, kernel.Size, taskRows[task]);
        var drift = TaskEnd.OrderBy(kv => kv.Key).ToDictionary(kv => kv.Key.ToString(System.Globalization.CultureInfo.InvariantCulture),
            kv => Nullable(KernelDistance.Centred(kv.Value, Block(k, kernel.Size, taskRows![kv.Key]))));
        var spectrum = Spectrum.Of(k, $"kernel at step {step}");
        if (Initial is null) { Initial = k; AtSwitch = k; SwitchTask = task; }
        double? distPrev = Previous is null ? null : KernelDistance.Centred(Previous, k);
        double dtSteps = step - PreviousStep, dtEpochs = epoch - PreviousEpoch;
        double trace = spectrum.Ascending.Sum();
        var shares = kernel.PerLayer().ToDictionary(kv => kv.Key, kv => Nullable(Kernels.Trace(kv.Value) / trace));
        var row = new Dictionary<string, object?>
        {
            ["step"] = step, ["epoch"] = Math.Round(epoch, 9), ["task"] = task, ["task_step"] = taskStep,
            ["lambda_max"] = spectrum.Max, ["eigenvalues_top"] = spectrum.Top(topEigenvalues),
            ["trace"] = trace, ["effective_rank"] = spectrum.EffectiveRank, ["participation_ratio"] = spectrum.ParticipationRatio,
            ["condition_number"] = Nullable(spectrum.ConditionNumber),
            ["kernel_distance_init"] = KernelDistance.Centred(Initial, k),
            ["kernel_distance_switch"] = KernelDistance.Centred(AtSwitch!, k),
            ["kernel_distance_prev"] = distPrev,
            ["dt_steps"] = distPrev is null ? null : dtSteps, ["dt_epochs"] = distPrev is null ? null : Math.Round(dtEpochs, 9),
            ["velocity"] = distPrev / dtSteps, ["velocity_epoch"] = distPrev / dtEpochs,
            ["alignment"] = Nullable(LabelAlignment.Centred(k, probeLabels, numClasses)),
            ["alignment_uncentred"] = Nullable(LabelAlignment.Uncentred(k, probeLabels, numClasses)),
            ["fort_distance_init"] = KernelDistance.Uncentred(Initial, k),
            ["layer_share"] = shares,
            ["old_task_drift"] = drift,
            ["loss"] = loss, ["kernel_file"] = kernelFile, ["ntk_seconds"] = Math.Round(seconds, 4),
        };
        Previous = k; PreviousStep = step; PreviousEpoch = epoch;
        return row;
    }

    /// <summary>The kernel (size x size) restricted to the probe rows <paramref name="rows"/> (each logitsPerRow kernel rows).</summary>
    private double[] Block(double[] k, int size, int[] rows)
    {
        int[] r = [.. rows.SelectMany(i => Enumerable.Range(i * logitsPerRow, logitsPerRow))];
        var block = new double[r.Length * r.Length];
        for (int a = 0; a < r.Length; a++)
            for (int b = 0; b < r.Length; b++) block[a * r.Length + b] = k[r[a] * size + r[b]];
        return block;
    }

    /// <summary>Marks the start of task <paramref name="task"/>: the last kernel becomes Θ_switch.</summary>
    public void Switch(int task)
    {
        if (task == SwitchTask || Previous is null) return;
        AtSwitch = Previous; SwitchTask = task;
    }

    private static double? Nullable(double v) => double.IsFinite(v) ? v : null;

    /// <summary>One JSON line; a value that is not finite (NaN, ±∞) is written as null.</summary>
    public static string ToJsonLine(Dictionary<string, object?> row) => JsonSerializer.Serialize(row.ToDictionary(kv => kv.Key, kv => Finite(kv.Value)) as object);

    private static object? Finite(object? value) => value switch
    {
        double d => double.IsFinite(d) ? d : null,
        double[] a => a.Select(d => double.IsFinite(d) ? d : (double?)null).ToArray(),
        Dictionary<string, double?> m => m.ToDictionary(kv => kv.Key, kv => kv.Value is double d && double.IsFinite(d) ? (double?)d : null),
        _ => value,
    };
}
