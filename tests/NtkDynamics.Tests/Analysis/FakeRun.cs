using System.Globalization;
using System.Text.Json;
using NtkDynamics.Experiments;
using NtkDynamics.Formats;

namespace NtkDynamics.Tests.Analysis;

/// <summary>
/// Writes a run folder in the format of docs/run-folder.md from given series (one value per measurement step), so the
/// analysis and the figures can be tested without the runner. Velocity is written as kernel_distance_prev / dt_steps.
/// </summary>
internal sealed record FakeRun
{
    public string Name { get; init; } = "fake";
    public int Width { get; init; } = 16;
    public ulong Seed { get; init; }
    public int StepsPerEpoch { get; init; } = 20;
    public int[] StepsPerTask { get; init; } = [100, 100];
    /// <summary>stream.json's similarity of each task (default 1 for the first, 0 after).</summary>
    public double[]? Similarity { get; init; }
    public required int[] Steps { get; init; }
    public required double[] LambdaMax { get; init; }
    public double[]? KernelDistanceInit { get; init; }
    public double[]? KernelDistancePrev { get; init; }
    public double[]? Alignment { get; init; }
    /// <summary>Top eigenvalues per measurement, descending (default λmax, λmax/2, λmax/4).</summary>
    public double[][]? Eigenvalues { get; init; }
    /// <summary>Row-major n x n kernels per measurement, saved as kernels/step_NNNNNN.npy.</summary>
    public double[][]? Kernels { get; init; }
    public List<(int Step, int TrainedTask, int EvalTask, double Accuracy)> Accuracy { get; init; } = [];
    public string State { get; init; } = "finished";
    /// <summary>Write summary.json (with the given accuracy matrix) when set.</summary>
    public double[][]? SummaryMatrix { get; init; }
    /// <summary>old_task_drift of task 0 at each measurement after its end (step 100 in a 2 x 100 run); absent when null.</summary>
    public double[]? OldTaskDrift { get; init; }

    private static double? V(double[]? a, int i) => a is null || !double.IsFinite(a[i]) ? null : a[i];

    public string Write(string folder)
    {
        Directory.CreateDirectory(folder);
        int tasks = StepsPerTask.Length, total = StepsPerTask.Sum();
        File.WriteAllText(Path.Combine(folder, "config.yaml"),
            ExperimentConfig.Parse($"name: {Name}\nseed: {Seed}\nmodel: {{width: {Width}}}\nstream: {{tasks: {tasks}, classes_per_task: 2}}\n").ToYaml());
        var taskList = new List<object>();
        for (int k = 0, start = 0; k < tasks; start += StepsPerTask[k], k++)
            taskList.Add(new Dictionary<string, object?>
            {
                ["index"] = k, ["name"] = $"task {k + 1}", ["classes"] = new[] { 2 * k, 2 * k + 1 }, ["similarity"] = Similarity?[k] ?? (k == 0 ? 1.0 : 0.0),
                ["start_step"] = start, ["end_step"] = start + StepsPerTask[k], ["steps_per_epoch"] = StepsPerEpoch,
            });
        Json(folder, "stream.json", new Dictionary<string, object?> { ["kind"] = "class-split", ["num_classes"] = 2 * tasks, ["steps_per_task"] = StepsPerTask, ["tasks"] = taskList });
        File.WriteAllText(Path.Combine(folder, "stream.txt"), $"class-split: {tasks} tasks of 2 classes\n");
        Json(folder, "status.json", new Dictionary<string, object?> { ["state"] = State, ["reason"] = null, ["step"] = Steps[^1], ["total_steps"] = total });

        var lines = new List<string>();
        for (int i = 0; i < Steps.Length; i++)
        {
            int step = Steps[i], task = Math.Max(0, Array.FindIndex(Cumulative(), end => step <= end));
            int dt = i == 0 ? 0 : step - Steps[i - 1];
            double? prev = i == 0 ? null : V(KernelDistancePrev, i);
            string? kernelFile = null;
            if (Kernels is not null)
            {
                kernelFile = $"kernels/step_{step:D6}.npy";
                Directory.CreateDirectory(Path.Combine(folder, "kernels"));
                int n = (int)Math.Sqrt(Kernels[i].Length);
                Npy.Write(Path.Combine(folder, kernelFile), Kernels[i], n, n);
            }
            lines.Add(JsonSerializer.Serialize(new Dictionary<string, object?>
            {
                ["step"] = step, ["epoch"] = step / (double)StepsPerEpoch, ["task"] = task, ["task_step"] = step - (task == 0 ? 0 : Cumulative()[task - 1]),
                ["lambda_max"] = V(LambdaMax, i), ["eigenvalues_top"] = Eigenvalues?[i] ?? [LambdaMax[i], LambdaMax[i] / 2, LambdaMax[i] / 4],
                ["trace"] = 2 * LambdaMax[i], ["effective_rank"] = 3.0, ["condition_number"] = null,
                ["kernel_distance_init"] = V(KernelDistanceInit, i), ["kernel_distance_switch"] = null, ["kernel_distance_prev"] = prev,
                ["dt_steps"] = i == 0 ? null : dt, ["dt_epochs"] = i == 0 ? null : dt / (double)StepsPerEpoch,
                ["velocity"] = prev / (dt == 0 ? null : dt), ["velocity_epoch"] = prev / (dt == 0 ? null : dt / (double)StepsPerEpoch),
                ["alignment"] = V(Alignment, i), ["alignment_uncentred"] = null, ["layer_share"] = new Dictionary<string, double> { ["conv1"] = 1 },
                ["loss"] = i == 0 ? null : 2.0 / (1 + step / 50.0), ["kernel_file"] = kernelFile, ["ntk_seconds"] = 0.01,
                ["old_task_drift"] = OldTaskDrift is null || step < StepsPerTask[0] ? new Dictionary<string, double?>() : new Dictionary<string, double?> { ["0"] = V(OldTaskDrift, i) },
            }));
        }
        File.WriteAllText(Path.Combine(folder, "metrics.jsonl"), string.Join("\n", lines) + "\n");
        File.WriteAllLines(Path.Combine(folder, "accuracy.csv"), ["step,epoch,trained_task,eval_task,accuracy,loss",
            .. Accuracy.Select(a => string.Create(CultureInfo.InvariantCulture, $"{a.Step},{a.Step / (double)StepsPerEpoch},{a.TrainedTask},{a.EvalTask},{a.Accuracy:R},{1 - a.Accuracy:R}"))]);
        if (SummaryMatrix is not null)
            Json(folder, "summary.json", new Dictionary<string, object?> { ["accuracy_matrix"] = SummaryMatrix, ["average_accuracy"] = SummaryMatrix[^1].Average(), ["forgetting"] = 0.1, ["steps"] = total });
        return folder;
    }

    private int[] Cumulative()
    {
        var ends = new int[StepsPerTask.Length];
        for (int k = 0, s = 0; k < ends.Length; k++) ends[k] = s += StepsPerTask[k];
        return ends;
    }

    private static void Json(string folder, string name, object value) =>
        File.WriteAllText(Path.Combine(folder, name), JsonSerializer.Serialize(value, new JsonSerializerOptions { WriteIndented = true }));

    /// <summary>Writes cells.json and sweep.yaml for the given cells (name, params) into a sweep folder.</summary>
    public static void WriteCells(string folder, IEnumerable<(string Name, Dictionary<string, object> Params)> cells)
    {
        Directory.CreateDirectory(folder);
        Json(folder, "cells.json", cells.Select((c, i) => new Dictionary<string, object> { ["index"] = i, ["name"] = c.Name, ["params"] = c.Params }).ToList());
        File.WriteAllText(Path.Combine(folder, "sweep.yaml"), "name: test-sweep\ngrid:\n  model.width: [16, 64, 256]\n  seed: [0, 1, 2]\n");
    }
}
