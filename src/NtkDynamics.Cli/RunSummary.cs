using System.Text.Json;
using NtkDynamics.Experiments;

namespace NtkDynamics.Cli;

/// <summary>The few lines printed after a run: where it is, its state, the accuracy matrix, λmax around each switch, the velocity peak.</summary>
internal static class RunSummary
{
    public static int Print(RunFolder run)
    {
        string state = run.ReadState() ?? "unknown";
        Console.WriteLine($"run folder: {run.Path} ({state})");
        if (File.Exists(run.Summary))
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(run.Summary));
            var s = doc.RootElement;
            var matrix = s.GetProperty("accuracy_matrix").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();
            if (matrix.Length > 0)
            {
                Console.WriteLine("accuracy matrix (row: after training task i; column: test set of task j)");
                Console.WriteLine("          " + string.Concat(Enumerable.Range(0, matrix[0].Length).Select(j => $"{"task " + j,9}")));
                for (int i = 0; i < matrix.Length; i++)
                    Console.WriteLine($"  task {i,-3}" + string.Concat(matrix[i].Select(v => $"{v,9:P1}")));
            }
            Console.WriteLine($"average accuracy {Get(s, "average_accuracy", "P1")}, forgetting {Get(s, "forgetting", "P1")}, backward transfer {Get(s, "backward_transfer", "P1")}");
            Console.WriteLine($"time: training {Get(s, "train_seconds", "F1")} s, eNTK {Get(s, "ntk_seconds", "F1")} s ({Get(s, "ntk_measurements", "F0")} measurements), evaluation {Get(s, "eval_seconds", "F1")} s");
        }
        var rows = File.Exists(run.Metrics)
            ? File.ReadAllLines(run.Metrics).Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l).RootElement).ToList()
            : [];
        using var streamDoc = File.Exists(run.File("stream.json")) ? JsonDocument.Parse(File.ReadAllText(run.File("stream.json"))) : null;
        if (streamDoc is not null && rows.Count > 0)
            foreach (var task in streamDoc.RootElement.GetProperty("tasks").EnumerateArray().Skip(1))
            {
                int sw = task.GetProperty("start_step").GetInt32();
                var before = rows.LastOrDefault(r => r.GetProperty("step").GetInt32() <= sw);
                var after = rows.Where(r => r.GetProperty("step").GetInt32() > sw && r.GetProperty("task").GetInt32() == task.GetProperty("index").GetInt32()).ToList();
                if (before.ValueKind == JsonValueKind.Undefined || after.Count == 0) continue;
                var min = after.MinBy(r => r.GetProperty("lambda_max").GetDouble());
                var peak = after.Where(r => r.GetProperty("velocity").ValueKind == JsonValueKind.Number).MaxBy(r => r.GetProperty("velocity").GetDouble());
                Console.WriteLine($"switch to task {task.GetProperty("index").GetInt32()} at step {sw}: λmax {before.GetProperty("lambda_max").GetDouble():G4} before, " +
                    $"min {min.GetProperty("lambda_max").GetDouble():G4} at step {min.GetProperty("step").GetInt32()}, {after[^1].GetProperty("lambda_max").GetDouble():G4} at the task's end; " +
                    (peak.ValueKind == JsonValueKind.Undefined ? "" : $"velocity peak {peak.GetProperty("velocity").GetDouble():G3}/step at step {peak.GetProperty("step").GetInt32()}"));
            }
        return state is "finished" ? 0 : 1;
    }

    private static string Get(JsonElement e, string key, string format) =>
        e.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble().ToString(format) : "-";
}
