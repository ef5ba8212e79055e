using NtkDynamics.Experiments;

namespace NtkDynamics.Analysis;

/// <summary>One run of a sweep with its task-switch analysis.</summary>
public sealed record SweepRun(SweepCell Cell, RunData Run, IReadOnlyList<SwitchResult> Switches);

/// <summary>
/// The runs that share every swept value but the seed, at one switch: each quantity's mean ± standard error over those
/// runs (keyed by <see cref="SwitchQuantity.Key"/>; N counts the runs where it was measured). Values holds the value of each
/// of <see cref="SweepResult.Variables"/>, in order.
/// </summary>
public sealed record SweepGroup(IReadOnlyList<ParamValue> Values, int Switch, IReadOnlyList<string> Runs, IReadOnlyDictionary<string, MeanSe> Stats);

/// <summary>Spearman's ρ between a swept variable and a quantity over every (run, switch) where both are finite.</summary>
public sealed record RankCorrelation(string Variable, string Quantity, double Rho, int N);

/// <summary>
/// The task-switch analysis of a whole sweep. <see cref="PooledGroups"/> pool every switch of a group's runs (their Switch is
/// 0); <see cref="Summaries"/> aggregate the runs' summary.json; <see cref="KernelForgetting"/> correlates the kernel's change at
/// a switch with the forgetting that follows.
/// </summary>
public sealed record SweepResult(string Folder, SwitchOptions Options, IReadOnlyList<string> Variables, IReadOnlyList<SweepRun> Runs,
    IReadOnlyList<SweepMember> Missing, IReadOnlyList<SweepGroup> Groups, IReadOnlyList<string> CorrelationVariables,
    IReadOnlyList<RankCorrelation> Correlations, IReadOnlyList<SweepGroup> PooledGroups, IReadOnlyList<SummaryGroup> Summaries,
    IReadOnlyList<QuantityCorrelation> KernelForgetting);

/// <summary>Aggregates the task-switch analysis over a sweep: mean ± SE over seeds, and rank correlations with each swept variable.</summary>
public static class SweepAnalysis
{
    /// <summary>The name under which the per-switch similarity (stream.json) is correlated, when it varies.</summary>
    public const string SimilarityVariable = "similarity";

    /// <summary>
    /// Analyses every readable run; groups (run, switch) samples by the swept values except the seed and the switch index.
    /// ρ is computed for each swept variable whose values are all numbers, and for the switch's similarity when it takes more
    /// than one value, against every quantity, pooling all runs and switches (a marginal correlation when several variables are swept).
    /// </summary>
    public static SweepResult Analyze(SweepData sweep, SwitchOptions? options = null)
    {
        options = (options ?? new SwitchOptions()).Validated();
        IReadOnlyList<string> variables = sweep.Variables;
        List<SweepRun> runs = [.. sweep.Members.Where(m => m.Run != null).Select(m => new SweepRun(m.Cell, m.Run!, SwitchAnalysis.Analyze(m.Run!, options)))];
        if (runs.Count == 0) throw new InputException($"{sweep.Folder}: none of the {sweep.Members.Count} runs has measurements yet");
        ParamValue Value(SweepCell c, string v) => c.Params.TryGetValue(v, out ParamValue p) ? p : new ParamValue("", double.NaN);

        var samples = runs.SelectMany(r => r.Switches.Select(s => (Run: r, Switch: s))).ToList();
        List<SweepGroup> Group(Func<SwitchResult, int> switchOf) => samples
            .GroupBy(x => (Key: string.Join("\u001f", variables.Select(v => Value(x.Run.Cell, v).Text)), Switch: switchOf(x.Switch)))
            .Select(g =>
            {
                var first = g.First();
                return new SweepGroup([.. variables.Select(v => Value(first.Run.Cell, v))], g.Key.Switch, [.. g.Select(x => x.Run.Cell.Name).Distinct()],
                    SwitchQuantity.All.ToDictionary(q => q.Key, q => Statistics.MeanAndStandardError(g.Select(x => q.Value(x.Switch)))));
            })
            .OrderBy(g => g, Comparer<SweepGroup>.Create(CompareGroups))
            .ToList();
        var groups = Group(s => s.Switch);
        var pooled = groups.Select(g => g.Switch).Distinct().Count() > 1 ? Group(_ => 0) : [];

        var xs = new Dictionary<string, double[]>();
        foreach (string v in variables)
            if (runs.All(r => double.IsFinite(Value(r.Cell, v).Number)))
                xs[v] = [.. samples.Select(x => Value(x.Run.Cell, v).Number)];
        double[] similarity = [.. samples.Select(x => x.Switch.Similarity)];
        if (similarity.Where(double.IsFinite).Distinct().Count() > 1) xs[SimilarityVariable] = similarity;
        var correlations = (from kv in xs
                            from q in SwitchQuantity.All.Where(q => q.Key != SimilarityVariable)
                            let r = Statistics.Spearman(kv.Value, [.. samples.Select(x => q.Value(x.Switch))])
                            select new RankCorrelation(kv.Key, q.Key, r.Rho, r.N)).ToList();
        var summaries = SweepSummaries.Groups(runs, variables, Value).OrderBy(g => g.Values, Comparer<IReadOnlyList<ParamValue>>.Create(CompareValues)).ToList();
        return new SweepResult(sweep.Folder, options, variables, runs, [.. sweep.Members.Where(m => m.Run is null)], groups, [.. xs.Keys], correlations,
            pooled, summaries, SweepSummaries.KernelForgetting(samples, [.. variables.Where(v => samples.Select(x => Value(x.Run.Cell, v).Text).Distinct().Count() > 1)], Value));
    }

    /// <summary>Orders groups by each variable's value, then by switch.</summary>
    private static int CompareGroups(SweepGroup a, SweepGroup b) =>
        CompareValues(a.Values, b.Values) is int c and not 0 ? c : a.Switch.CompareTo(b.Switch);

    private static int CompareValues(IReadOnlyList<ParamValue> a, IReadOnlyList<ParamValue> b)
    {
        for (int i = 0; i < a.Count; i++)
            if (a[i].CompareTo(b[i]) is int c and not 0) return c;
        return 0;
    }
}
