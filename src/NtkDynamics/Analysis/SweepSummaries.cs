using NtkDynamics.Experiments;

namespace NtkDynamics.Analysis;

/// <summary>
/// The runs that share every swept value but the seed: their summary.json numbers (average accuracy, forgetting, backward
/// and forward transfer) as mean ± standard error, and their mean accuracy matrix (NaN where no run has a value).
/// </summary>
public sealed record SummaryGroup(IReadOnlyList<ParamValue> Values, IReadOnlyList<string> Runs, IReadOnlyDictionary<string, MeanSe> Stats,
    double[,] AccuracyMatrix);

/// <summary>Spearman's ρ between a kernel-change quantity and a forgetting quantity over (run, switch) samples: all of them
/// (<see cref="Within"/> null) or those where a swept variable has one value (<see cref="Within"/> = "variable=value").</summary>
public sealed record QuantityCorrelation(string Kernel, string Forgetting, string? Within, double Rho, int N);

/// <summary>Run-level summaries and kernel-change-against-forgetting correlations of a sweep.</summary>
public static class SweepSummaries
{
    /// <summary>summary.json's numbers that <see cref="SummaryGroup.Stats"/> holds, by key.</summary>
    public static IReadOnlyList<(string Key, string Header, Func<RunSummary, double> Value)> Metrics { get; } =
    [
        ("average_accuracy", "avg acc", s => s.AverageAccuracy),
        ("forgetting", "forgetting", s => s.Forgetting),
        ("backward_transfer", "BWT", s => s.BackwardTransfer),
        ("forward_transfer", "FWT", s => s.ForwardTransfer),
    ];

    /// <summary>The quantities of a switch that measure how much the kernel changed, correlated with the forgetting.</summary>
    public static IReadOnlyList<string> KernelQuantities { get; } =
        ["velocity_peak", "kernel_distance_across", "kernel_distance_jump", "lambda_drop", "old_task_drift_first", "old_task_drift"];

    /// <summary>The quantities of a switch that measure the forgetting that follows it.</summary>
    public static IReadOnlyList<string> ForgettingQuantities { get; } = ["accuracy_drop", "accuracy_drop_max"];

    /// <summary>One group per combination of swept values (the seed left out) among finished runs with a summary, in the groups' order.</summary>
    public static IReadOnlyList<SummaryGroup> Groups(IReadOnlyList<SweepRun> runs, IReadOnlyList<string> variables, Func<SweepCell, string, ParamValue> value)
    {
        return [.. runs.Where(r => r.Run.Summary is not null)
            .GroupBy(r => string.Join("\u001f", variables.Select(v => value(r.Cell, v).Text)))
            .Select(g =>
            {
                var members = g.ToList();
                var stats = Metrics.ToDictionary(m => m.Key, m => Statistics.MeanAndStandardError(members.Select(r => m.Value(r.Run.Summary!))));
                return new SummaryGroup([.. variables.Select(v => value(members[0].Cell, v))], [.. members.Select(r => r.Cell.Name)], stats,
                    MeanMatrix([.. members.Select(r => r.Run.AccuracyMatrix())]));
            })];
    }

    private static double[,] MeanMatrix(IReadOnlyList<double[,]> matrices)
    {
        int t = matrices.Max(m => m.GetLength(0));
        var mean = new double[t, t];
        for (int i = 0; i < t; i++)
            for (int j = 0; j < t; j++)
                mean[i, j] = Statistics.MeanAndStandardError(matrices.Where(m => m.GetLength(0) == t).Select(m => m[i, j])).Mean;
        return mean;
    }

    /// <summary>
    /// ρ of every kernel quantity against every forgetting quantity over all (run, switch) samples, then within each value of
    /// each swept variable that takes several values (the strategy, the similarity, ...), so a pooled correlation can be told
    /// apart from one that holds inside each group.
    /// </summary>
    public static IReadOnlyList<QuantityCorrelation> KernelForgetting(IReadOnlyList<(SweepRun Run, SwitchResult Switch)> samples,
        IReadOnlyList<string> variables, Func<SweepCell, string, ParamValue> value)
    {
        var byKey = SwitchQuantity.All.ToDictionary(q => q.Key);
        var subsets = new List<(string? Within, List<SwitchResult> Switches)> { (null, [.. samples.Select(s => s.Switch)]) };
        foreach (string v in variables)
            subsets.AddRange(samples.GroupBy(s => value(s.Run.Cell, v)).OrderBy(g => g.Key)
                .Select(g => ((string?)$"{v}={g.Key.Text}", g.Select(s => s.Switch).ToList())));
        return [.. from subset in subsets
                   from k in KernelQuantities
                   from f in ForgettingQuantities
                   let r = Statistics.Spearman([.. subset.Switches.Select(byKey[k].Value)], [.. subset.Switches.Select(byKey[f].Value)])
                   select new QuantityCorrelation(k, f, subset.Within, r.Rho, r.N)];
    }
}
