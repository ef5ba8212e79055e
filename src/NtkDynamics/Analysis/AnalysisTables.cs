namespace NtkDynamics.Analysis;

/// <summary>The tables `ntk analyze` prints and the report shows.</summary>
public static class AnalysisTables
{
    /// <summary>One row per switch: where it is, then every headline quantity (λ recovery "not recovered" when it did not).</summary>
    public static Table Switches(IReadOnlyList<SwitchResult> results) => new(
        ["switch", "step", "sim", .. SwitchQuantity.Headlines.Select(q => q.Header)],
        [.. results.Select(r => (IReadOnlyList<object?>)[Label(r), r.SwitchStep, r.Similarity,
            .. SwitchQuantity.Headlines.Select(q => q.Key == "lambda_recovery_steps" && r.LambdaRecoverySteps is null
                ? (object)(double.IsNaN(r.LambdaMin) ? double.NaN : "not recovered") : q.Value(r))])]);

    /// <summary>One row per group of seeds: the swept values, the switch, the runs, each headline quantity as mean ± SE [n when some runs lack it].</summary>
    public static Table Groups(SweepResult s) => new(
        [.. s.Variables, "switch", "runs", .. SwitchQuantity.Headlines.Select(q => q.Header)],
        [.. s.Groups.Select(g => (IReadOnlyList<object?>)[.. g.Values.Select(v => (object)v.Text), $"{g.Switch}", g.Runs.Count,
            .. SwitchQuantity.Headlines.Select(q => (object)MeanSeText(g.Stats[q.Key], g.Runs.Count))])]);

    /// <summary>One row per group of seeds with every switch pooled: the swept values, the runs, each headline quantity as mean ± SE over (run, switch).</summary>
    public static Table Pooled(SweepResult s) => new(
        [.. s.Variables, "runs", "switches", .. SwitchQuantity.Headlines.Select(q => q.Header)],
        [.. s.PooledGroups.Select(g => (IReadOnlyList<object?>)[.. g.Values.Select(v => (object)v.Text), g.Runs.Count,
            g.Stats.Values.Max(m => m.N), .. SwitchQuantity.Headlines.Select(q => (object)MeanSeText(g.Stats[q.Key], g.Stats.Values.Max(m => m.N)))])]);

    /// <summary>One row per group of seeds: summary.json's average accuracy, forgetting, BWT and FWT as mean ± SE over the runs.</summary>
    public static Table Summaries(SweepResult s) => new(
        [.. s.Variables, "runs", .. SweepSummaries.Metrics.Select(m => m.Header)],
        [.. s.Summaries.Select(g => (IReadOnlyList<object?>)[.. g.Values.Select(v => (object)v.Text), g.Runs.Count,
            .. SweepSummaries.Metrics.Select(m => (object)MeanSeText(g.Stats[m.Key], g.Runs.Count))])]);

    /// <summary>ρ of each kernel-change quantity against the old task's accuracy drop: over every switch, then within each value of each swept variable.</summary>
    public static Table KernelForgetting(SweepResult s) => new(
        ["samples", .. SweepSummaries.KernelQuantities.Select(k => $"ρ({SwitchQuantity.All.Single(q => q.Key == k).Header}, acc_drop)")],
        [.. s.KernelForgetting.Where(c => c.Forgetting == "accuracy_drop").GroupBy(c => c.Within).Select(g => (IReadOnlyList<object?>)[g.Key ?? "all",
            .. SweepSummaries.KernelQuantities.Select(k => g.Single(c => c.Kernel == k)).Select(c => (object)$"{Table.Number(Math.Round(c.Rho, 3))} (n={c.N})")])]);

    /// <summary>Spearman's ρ (and the number of samples) of each headline quantity against each correlated variable.</summary>
    public static Table Correlations(SweepResult s) => new(
        ["quantity", .. s.CorrelationVariables.Select(v => $"ρ vs {v}")],
        [.. SwitchQuantity.Headlines.Select(q => (IReadOnlyList<object?>)[q.Header,
            .. s.CorrelationVariables.Select(v => s.Correlations.Single(c => c.Variable == v && c.Quantity == q.Key))
                .Select(c => (object)$"{Table.Number(Math.Round(c.Rho, 3))} (n={c.N})")])]);

    /// <summary>"T1→T2" for the switch from the first task to the second (tasks numbered from 1 for people).</summary>
    public static string Label(SwitchResult r) => $"T{r.FromTask + 1}→T{r.ToTask + 1}";

    /// <summary>"0.1234 ± 0.0056" (the error to two significant digits), with "[n=2]" when fewer than all runs measured it; "—" when none did.</summary>
    public static string MeanSeText(MeanSe m, int runs) => m.N == 0 ? "—"
        : $"{Table.Number(m.Mean)}{(double.IsNaN(m.StandardError) ? "" : $" ± {Table.Number(m.StandardError, 2)}")}{(m.N < runs ? $" [n={m.N}]" : "")}";
}
