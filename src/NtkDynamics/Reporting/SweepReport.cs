using NtkDynamics.Analysis;

namespace NtkDynamics.Reporting;

/// <summary>The report page of a sweep: its cells, the overlaid panels, the quantities against the swept variables, the tables.</summary>
public static class SweepReport
{
    public static HtmlReport Build(SweepData sweep, SweepResult s, FigureSet figures)
    {
        string vars = s.Variables.Count > 0 ? string.Join(", ", s.Variables) : "only the seed";
        var r = new HtmlReport($"Sweep {sweep.Name}", $"{s.Runs.Count} runs read{(s.Missing.Count > 0 ? $", {s.Missing.Count} left out" : "")}; swept: {vars}");

        r.Section("eNTK dynamics");
        foreach (NamedFigure f in figures.Figures.Where(f => f.Name.StartsWith("overview", StringComparison.Ordinal))) r.Figure(f.Figure, f.Caption);

        if (figures.Figures.Any(f => f.Name.StartsWith("strategies_", StringComparison.Ordinal)))
        {
            r.Section("Strategies");
            foreach (NamedFigure f in figures.Figures.Where(f => f.Name.StartsWith("strategies_", StringComparison.Ordinal))) r.Figure(f.Figure, f.Caption);
        }
        if (s.Summaries.Count > 0)
            r.AnalysisTable(AnalysisTables.Summaries(s), "summary.json of each setting: mean ± standard error over its seeds (FWT against the randomly initialised model).");
        if (s.PooledGroups.Count > 0)
            r.AnalysisTable(AnalysisTables.Pooled(s), "Every switch of each setting's runs pooled: mean ± standard error over (run, switch).");
        if (s.KernelForgetting.Count > 0)
            r.AnalysisTable(AnalysisTables.KernelForgetting(s), "Spearman's ρ between the kernel's change at a switch and the old task's accuracy drop after it, over every switch and within each swept value.");

        r.Section("Task switches against the swept variables");
        foreach (string note in figures.Notes) r.Paragraph(note);
        foreach (NamedFigure f in figures.Figures.Where(f => f.Name.StartsWith("switch_vs_", StringComparison.Ordinal))) r.Figure(f.Figure, f.Caption);
        if (s.CorrelationVariables.Count > 0)
            r.AnalysisTable(AnalysisTables.Correlations(s), "Spearman's ρ (ties given average ranks) over every run and switch, with the number of samples.");
        r.AnalysisTable(AnalysisTables.Groups(s), "Mean ± standard error over the seeds of each setting, per switch; [n=k] when only k runs measured it.");
        r.Definitions(s.Options);

        r.Section("Runs").AnalysisTable(Runs(s));
        if (s.Missing.Count > 0)
            r.Paragraph("Left out: " + string.Join("; ", s.Missing.Select(m => $"{m.Cell.Name} ({m.Problem})")) + ".");
        if (sweep.SweepText is string yaml) r.Preformatted(yaml.TrimEnd(), "sweep.yaml");
        return r;
    }

    private static Table Runs(SweepResult s) => new(
        ["run", .. s.Variables, "seed", "state", "step", "average accuracy"],
        [.. s.Runs.Select(r => (IReadOnlyList<object?>)[r.Cell.Name,
            .. s.Variables.Select(v => (object?)(r.Cell.Params.TryGetValue(v, out ParamValue p) ? p.Text : "")),
            r.Cell.Params.TryGetValue(SweepData.SeedKey, out ParamValue seed) ? seed.Text : "",
            r.Run.Status?.State ?? "unknown", r.Run.Measurements[^1].Step, r.Run.Summary?.AverageAccuracy ?? double.NaN])]);
}
