using System.Text.Json;
using NtkDynamics.Analysis;
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
            JsonDocument doc;
            try { doc = JsonDocument.Parse(File.ReadAllText(run.Summary)); }
            catch (JsonException e) { throw new InputException($"{run.Summary}: not valid JSON ({e.Message})"); }
            using var _ = doc;
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
        if (RunData.IsRunFolder(run.Path))
            foreach (var sw in SwitchAnalysis.Analyze(RunData.Load(run.Path)))
                Console.WriteLine($"switch to task {sw.ToTask} at step {sw.SwitchStep}: λmax {sw.LambdaPre:G4} before, min {sw.LambdaMin:G4} " +
                    $"{sw.LambdaMinSteps} steps after ({(sw.LambdaRecoverySteps is int r ? $"back in {r} steps" : "not back by the task's end")}); " +
                    $"velocity peak {sw.VelocityPeak:G3}/step, {sw.VelocityRatio:F0}x the late-task median");
        return state is "finished" ? 0 : 1;
    }

    private static string Get(JsonElement e, string key, string format) =>
        e.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble().ToString(format) : "-";
}
