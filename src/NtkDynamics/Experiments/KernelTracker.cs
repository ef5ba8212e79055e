using System.Text.Json;
using NtkDynamics.Ntk;
using NtkDynamics.Ntk.Metrics;

namespace NtkDynamics.Experiments;

/// <summary>
/// Turns each probe kernel into one metrics row (docs/run-folder.md): spectrum, distances to Θ_0, to the kernel at the
/// start of the current task and to the previous measurement, velocity, alignment with the probe labels, layer shares.
/// Holds the reference kernels, which a checkpoint saves so a resumed run continues with the same numbers.
/// </summary>
public sealed class KernelTracker(int[] probeLabels, int numClasses, int topEigenvalues)
{
    public double[]? Initial { get; set; }
    public double[]? AtSwitch { get; set; }
    public double[]? Previous { get; set; }
    public int PreviousStep { get; set; }
    public double PreviousEpoch { get; set; }
    public int SwitchTask { get; set; }

    /// <summary>A row of metrics.jsonl for the kernel at <paramref name="step"/> (task <paramref name="task"/>).</summary>
    public Dictionary<string, object?> Measure(NtkKernel kernel, int step, double epoch, int task, int taskStep, double? loss, string? kernelFile, double seconds)
    {
        var k = kernel.Values;
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
            ["loss"] = loss, ["kernel_file"] = kernelFile, ["ntk_seconds"] = Math.Round(seconds, 4),
        };
        Previous = k; PreviousStep = step; PreviousEpoch = epoch;
        return row;
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
