using NtkDynamics.Experiments;

namespace NtkDynamics.Analysis;

/// <summary>What `ntk analyze` produced: the analysis.json written, titled tables to print, and notes.</summary>
public sealed record AnalysisOutput(string JsonPath, IReadOnlyList<(string Title, Table Table)> Tables, IReadOnlyList<string> Notes);

/// <summary>The task-switch analysis of a run folder or a sweep folder, whichever the path is.</summary>
public static class FolderAnalysis
{
    /// <summary>True for a sweep folder (cells.json), false for a run folder (metrics.jsonl); anything else is an <see cref="InputException"/>.</summary>
    public static bool IsSweep(string folder)
    {
        if (!Directory.Exists(folder)) throw new InputException($"{folder}: no such folder");
        if (SweepData.IsSweepFolder(folder)) return true;
        if (RunData.IsRunFolder(folder)) return false;
        throw new InputException($"{folder}: neither a run folder ({RunData.MetricsFile}) nor a sweep folder ({SweepData.CellsFile})");
    }

    /// <summary>
    /// A run: writes its analysis.json and returns the switch table. A sweep: writes every run's analysis.json and the sweep's,
    /// and returns the table of groups and the rank correlations.
    /// </summary>
    public static AnalysisOutput Analyze(string folder, SwitchOptions? options = null)
    {
        options = (options ?? new SwitchOptions()).Validated();
        if (!IsSweep(folder))
        {
            RunData run = RunData.Load(folder);
            IReadOnlyList<SwitchResult> switches = SwitchAnalysis.Analyze(run, options);
            List<string> notes = switches.Count == 0 ? [$"{run.Name}: no task switch has been measured past yet"] : [];
            return new AnalysisOutput(AnalysisJson.WriteRun(run, switches, options), [($"{run.Name}: task switches", AnalysisTables.Switches(switches))], notes);
        }
        SweepResult s = SweepAnalysis.Analyze(SweepData.Load(folder), options);
        var tables = new List<(string, Table)> { ("task switches, mean ± standard error over seeds", AnalysisTables.Groups(s)) };
        if (s.PooledGroups.Count > 0) tables.Add(("every switch pooled, mean ± standard error over runs and switches", AnalysisTables.Pooled(s)));
        if (s.Summaries.Count > 0) tables.Add(("runs' summaries, mean ± standard error over seeds", AnalysisTables.Summaries(s)));
        if (s.CorrelationVariables.Count > 0) tables.Add(("Spearman's rank correlation with the swept variables", AnalysisTables.Correlations(s)));
        if (s.KernelForgetting.Count > 0) tables.Add(("Spearman's ρ: the kernel's change at a switch against the old task's accuracy drop", AnalysisTables.KernelForgetting(s)));
        return new AnalysisOutput(AnalysisJson.WriteSweep(s), tables, [.. s.Missing.Select(m => $"{m.Cell.Name}: left out ({m.Problem})")]);
    }
}
