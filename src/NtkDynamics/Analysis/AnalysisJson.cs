using System.Text.Json;
using NtkDynamics.Experiments;

namespace NtkDynamics.Analysis;

/// <summary>
/// Writes analysis.json (atomically) for a run or a sweep: the options, the definition of every quantity (keyed as the
/// quantities are), then the numbers; NaN is written as null.
/// </summary>
public static class AnalysisJson
{
    public const string FileName = "analysis.json";

    /// <summary>{"run", "options", "definitions", "switches": [{"switch", "from_task", ..., "lambda_recovered", quantity keys...}]}.</summary>
    public static string WriteRun(RunData run, IReadOnlyList<SwitchResult> switches, SwitchOptions options)
    {
        string path = Path.Combine(run.Folder, FileName);
        Write(path, w =>
        {
            w.WriteString("run", run.Name);
            Header(w, options);
            Switches(w, switches);
        });
        return path;
    }

    /// <summary>
    /// {"sweep", "options", "definitions", "variables", "runs": [{"name", "params", "state", "switches"}], "missing": [{"name", "problem"}],
    /// "groups": [{"values", "switch", "runs", "stats": {key: {"mean", "se", "n"}}}], "correlations": [{"variable", "quantity", "spearman_rho", "n"}],
    /// "pooled_groups" (as groups, every switch pooled, switch 0), "summaries": [{"values", "runs", "stats": {average_accuracy, forgetting,
    /// backward_transfer, forward_transfer}, "accuracy_matrix"}], "kernel_forgetting": [{"kernel", "forgetting", "within", "spearman_rho", "n"}]};
    /// also each run's own analysis.json. Returns the sweep's.
    /// </summary>
    public static string WriteSweep(SweepResult s)
    {
        foreach (SweepRun r in s.Runs) WriteRun(r.Run, r.Switches, s.Options);
        string path = Path.Combine(s.Folder, FileName);
        Write(path, w =>
        {
            w.WriteString("sweep", Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(s.Folder))));
            Header(w, s.Options);
            w.WriteStartArray("variables");
            foreach (string v in s.Variables) w.WriteStringValue(v);
            w.WriteEndArray();
            w.WriteStartArray("runs");
            foreach (SweepRun r in s.Runs)
            {
                w.WriteStartObject();
                w.WriteString("name", r.Cell.Name);
                w.WriteStartObject("params");
                foreach (var (k, v) in r.Cell.Params) Value(w, k, v);
                w.WriteEndObject();
                w.WriteString("state", r.Run.Status?.State);
                Switches(w, r.Switches);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("missing");
            foreach (SweepMember m in s.Missing)
            {
                w.WriteStartObject();
                w.WriteString("name", m.Cell.Name);
                w.WriteString("problem", m.Problem);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            Groups(w, "groups", s, s.Groups);
            Groups(w, "pooled_groups", s, s.PooledGroups);
            w.WriteStartArray("summaries");
            foreach (SummaryGroup g in s.Summaries)
            {
                w.WriteStartObject();
                Values(w, s, g.Values);
                Strings(w, "runs", g.Runs);
                Stats(w, g.Stats);
                w.WriteStartArray("accuracy_matrix");
                for (int i = 0; i < g.AccuracyMatrix.GetLength(0); i++)
                {
                    w.WriteStartArray();
                    for (int j = 0; j < g.AccuracyMatrix.GetLength(1); j++)
                        if (double.IsFinite(g.AccuracyMatrix[i, j])) w.WriteNumberValue(g.AccuracyMatrix[i, j]); else w.WriteNullValue();
                    w.WriteEndArray();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("kernel_forgetting");
            foreach (QuantityCorrelation c in s.KernelForgetting)
            {
                w.WriteStartObject();
                w.WriteString("kernel", c.Kernel);
                w.WriteString("forgetting", c.Forgetting);
                w.WriteString("within", c.Within);
                Number(w, "spearman_rho", c.Rho);
                w.WriteNumber("n", c.N);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("correlations");
            foreach (RankCorrelation c in s.Correlations)
            {
                w.WriteStartObject();
                w.WriteString("variable", c.Variable);
                w.WriteString("quantity", c.Quantity);
                Number(w, "spearman_rho", c.Rho);
                w.WriteNumber("n", c.N);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        });
        return path;
    }

    private static void Groups(Utf8JsonWriter w, string name, SweepResult s, IReadOnlyList<SweepGroup> groups)
    {
        w.WriteStartArray(name);
        foreach (SweepGroup g in groups)
        {
            w.WriteStartObject();
            Values(w, s, g.Values);
            w.WriteNumber("switch", g.Switch);
            Strings(w, "runs", g.Runs);
            Stats(w, g.Stats);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    private static void Values(Utf8JsonWriter w, SweepResult s, IReadOnlyList<ParamValue> values)
    {
        w.WriteStartObject("values");
        for (int i = 0; i < s.Variables.Count; i++) Value(w, s.Variables[i], values[i]);
        w.WriteEndObject();
    }

    private static void Strings(Utf8JsonWriter w, string name, IEnumerable<string> items)
    {
        w.WriteStartArray(name);
        foreach (string r in items) w.WriteStringValue(r);
        w.WriteEndArray();
    }

    private static void Stats(Utf8JsonWriter w, IReadOnlyDictionary<string, MeanSe> stats)
    {
        w.WriteStartObject("stats");
        foreach (var (key, m) in stats)
        {
            w.WriteStartObject(key);
            Number(w, "mean", m.Mean);
            Number(w, "se", m.StandardError);
            w.WriteNumber("n", m.N);
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }

    private static void Write(string path, Action<Utf8JsonWriter> body) =>
        Formats.AtomicFile.Write(path, stream =>
        {
            using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        });

    private static void Header(Utf8JsonWriter w, SwitchOptions o)
    {
        w.WriteStartObject("options");
        w.WriteNumber("late_fraction", o.LateFraction);
        if (o.WindowSteps is int ws) w.WriteNumber("window_steps", ws); else w.WriteNull("window_steps");
        w.WriteEndObject();
        w.WriteStartObject("definitions");
        w.WriteString("switch_step", "s = the new task's start_step in stream.json (its training starts at s + 1); the measurement at s is the last of the old task");
        w.WriteString("window", "the measurements with step in (s, window_end_step], window_end_step = min(s + window_steps, task_end_step) (the whole new task when window_steps is null)");
        w.WriteString("steps", "every *_steps quantity counts steps from the switch step s");
        foreach (SwitchQuantity q in SwitchQuantity.All) w.WriteString(q.Key, q.Definition);
        w.WriteEndObject();
    }

    private static void Switches(Utf8JsonWriter w, IReadOnlyList<SwitchResult> switches)
    {
        w.WriteStartArray("switches");
        foreach (SwitchResult r in switches)
        {
            w.WriteStartObject();
            w.WriteNumber("switch", r.Switch);
            w.WriteNumber("from_task", r.FromTask);
            w.WriteNumber("to_task", r.ToTask);
            w.WriteNumber("switch_step", r.SwitchStep);
            w.WriteNumber("window_end_step", r.WindowEndStep);
            w.WriteNumber("task_end_step", r.TaskEndStep);
            w.WriteBoolean("lambda_recovered", r.LambdaRecoverySteps is not null);
            foreach (SwitchQuantity q in SwitchQuantity.All) Number(w, q.Key, q.Value(r));
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    private static void Number(Utf8JsonWriter w, string key, double v)
    {
        if (double.IsFinite(v)) w.WriteNumber(key, v); else w.WriteNull(key);
    }

    private static void Value(Utf8JsonWriter w, string key, ParamValue v)
    {
        if (double.IsFinite(v.Number)) w.WriteNumber(key, v.Number); else w.WriteString(key, v.Text);
    }
}
