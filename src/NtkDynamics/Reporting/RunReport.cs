using System.Globalization;
using NtkDynamics.Analysis;
using NtkDynamics.Experiments;

namespace NtkDynamics.Reporting;

/// <summary>The report page of one run: summary, configuration, the paper's panels, the switch analysis, heatmap, spectrum, accuracy.</summary>
public static class RunReport
{
    public static HtmlReport Build(RunData run, IReadOnlyList<SwitchResult> switches, SwitchOptions options, FigureSet figures)
    {
        var c = run.Config;
        string lr = c.Train.Lr == c.Train.LrValue.ToString("R", CultureInfo.InvariantCulture) ? c.Train.Lr : $"{c.Train.Lr} = {c.Train.LrValue:G4}";
        var r = new HtmlReport($"Run {run.Name}",
            $"{c.Model.Kind} width {c.Model.Width} ({c.Model.Parametrisation}), lr {lr}, {c.Stream.Kind} stream of {run.Tasks.Count} tasks; {ReportParts.State(run)}");

        r.Section("Summary").KeyValues(Summary(run));

        r.Section("eNTK dynamics").FigureIfAny(figures, "overview");

        r.Section("Task switches");
        if (switches.Count == 0) r.Paragraph("No task switch has been measured past yet.");
        else r.AnalysisTable(AnalysisTables.Switches(switches), "One row per task switch (velocities per step).").Definitions(options);

        r.Section("Kernel distance between measurements");
        foreach (string note in figures.Notes) r.Paragraph(note);
        r.FigureIfAny(figures, "kernel_heatmap");
        r.FigureIfAny(figures, "spectrum");

        r.Section("Accuracy").FigureIfAny(figures, "accuracy_matrix").FigureIfAny(figures, "accuracy");
        double[,] a = run.AccuracyMatrix();
        int n = run.Tasks.Count;
        r.Table(["after training", .. Enumerable.Range(1, n).Select(j => $"T{j}")],
            Enumerable.Range(0, n).Select(i => (IReadOnlyList<object?>)[$"T{i + 1}", .. Enumerable.Range(0, n).Select(j => double.IsNaN(a[i, j]) ? null : (object)a[i, j])]),
            "Accuracy on each task's test set (columns) after training each task (rows).", "0.000");

        r.Section("Configuration").Preformatted(run.ConfigText.TrimEnd(), "config.yaml");
        if (run.StreamText is string stream) r.Preformatted(stream.TrimEnd(), "stream.txt");
        return r;
    }

    private static IEnumerable<KeyValuePair<string, string>> Summary(RunData run)
    {
        static KeyValuePair<string, string> Kv(string k, string v) => new(k, v);
        yield return Kv("folder", Path.GetFullPath(run.Folder));
        yield return Kv("state", ReportParts.State(run));
        yield return Kv("tasks", string.Join(", ", run.Tasks.Select(t => $"{t.Name} (steps {t.StartStep + 1}–{t.EndStep})")));
        yield return Kv("measurements", $"{run.Measurements.Count} (steps {run.Measurements[0].Step}–{run.Measurements[^1].Step}), {run.Measurements.Count(m => run.KernelPath(m) != null)} kernels saved");
        if (run.Summary is { } s)
        {
            yield return Kv("average accuracy", s.AverageAccuracy.ToString("0.000", CultureInfo.InvariantCulture));
            yield return Kv("forgetting", s.Forgetting.ToString("0.000", CultureInfo.InvariantCulture));
            if (double.IsFinite(s.WallSeconds)) yield return Kv("wall time", $"{s.WallSeconds:F0} s");
        }
    }
}
