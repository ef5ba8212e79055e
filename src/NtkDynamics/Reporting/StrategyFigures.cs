using NtkDynamics.Analysis;
using NtkDynamics.Experiments;
using ScottPlot;

namespace NtkDynamics.Reporting;

/// <summary>
/// The figures of a sweep over continual-learning strategies (the swept key <c>strategy.kind</c>): a panel per strategy of
/// its mean accuracy matrix, of the kernel's velocity and λmax, and of each old task's kernel drift (every run of the
/// strategy, other swept values pooled); and the headline task-switch quantities against the strategy.
/// </summary>
public static class StrategyFigures
{
    public const string Variable = "strategy.kind";

    /// <summary>Nothing when the sweep does not vary the strategy.</summary>
    public static IReadOnlyList<NamedFigure> Build(SweepResult s, FigureOptions? options = null)
    {
        options ??= new FigureOptions();
        if (!s.Variables.Contains(Variable)) return [];
        var strategies = s.Runs.GroupBy(r => r.Cell.Params[Variable].Text)
            .OrderBy(g => Strategies.StrategyOptions.Kinds.ToList().IndexOf(g.Key)).ThenBy(g => g.Key, StringComparer.Ordinal).ToList();
        string pooled = s.Variables.Count > 1 ? $"every run of the strategy ({string.Join(", ", s.Variables.Where(v => v != Variable))} pooled)" : "the strategy's seeds";
        TimeAxis t = options.Time;
        return
        [
            new("strategies_accuracy", PerStrategy(strategies, "Accuracy matrix", (p, runs) => Accuracy(p, runs)),
                $"Each strategy's accuracy matrix, the mean over {pooled}: row i = after training task i, column j = task j's test set."),
            new("strategies_velocity", PerStrategy(strategies, "Kernel velocity", (p, runs) => Series(p, runs, t, "velocity (log)", true,
                r => [("v", r.Measurements.Select(m => (Time.Of(m, t), m.Velocity)))])),
                $"The probe kernel's velocity S(Θ_prev, Θ_t)/dt, the mean over {pooled}; dashed lines mark task switches."),
            new("strategies_lambda", PerStrategy(strategies, "λmax", (p, runs) => Series(p, runs, t, "λmax (log)", true,
                r => [("λmax", r.Measurements.Select(m => (Time.Of(m, t), m.LambdaMax)))])),
                $"The probe kernel's largest eigenvalue, the mean over {pooled}; dashed lines mark task switches."),
            new("strategies_old_task_drift", PerStrategy(strategies, "Old tasks' kernel drift", (p, runs) => Series(p, runs, t, "S(Θ_end_j[j], Θ_t[j])", false,
                r => Enumerable.Range(0, r.Tasks.Count - 1).Select(j => ($"T{j + 1}",
                    r.Measurements.Where(m => m.OldTaskDrift.ContainsKey(j)).Select(m => (Time.Of(m, t), m.OldTaskDrift[j])))))),
                $"Each finished task's block of the probe kernel against the same block at that task's end (one line per task), the mean over {pooled}."),
            new("strategies_switch", Quantities(s, [.. strategies.Select(g => g.Key)]),
                "Task-switch quantities per strategy: light dots are single runs and switches, dark dots the mean ± standard error over them."),
        ];
    }

    private static Chart PerStrategy(List<IGrouping<string, SweepRun>> strategies, string what, Action<Plot, IReadOnlyList<RunData>> draw)
    {
        int cols = Math.Min(4, strategies.Count), rows = (strategies.Count + cols - 1) / cols;
        var chart = new Chart(rows, cols, cols * 340, rows * 290 + 34) { Title = $"{what}, one panel per strategy" };
        for (int i = 0; i < strategies.Count; i++)
        {
            Plot p = chart.Panel(i / cols, i % cols);
            draw(p, [.. strategies[i].Select(r => r.Run)]);
            p.Title(strategies[i].Key);
        }
        return chart;
    }

    private static void Accuracy(Plot p, IReadOnlyList<RunData> runs)
    {
        int tasks = runs.Max(r => r.Tasks.Count);
        var matrices = runs.Where(r => r.Tasks.Count == tasks).Select(r => r.AccuracyMatrix()).ToList();
        var mean = new double[tasks, tasks];
        for (int i = 0; i < tasks; i++)
            for (int j = 0; j < tasks; j++)
                mean[i, j] = Statistics.MeanAndStandardError(matrices.Select(m => m[i, j])).Mean;
        string[] names = [.. Enumerable.Range(1, tasks).Select(k => $"T{k}")];
        p.Matrix(mean, "accuracy", names, names, 0, 1, "0.00");
        p.Labels(null, "test set of task", "after training task");
    }

    // One line per named series of each run, averaged over the runs at each x they share.
    private static void Series(Plot p, IReadOnlyList<RunData> runs, TimeAxis t, string yLabel, bool log,
        Func<RunData, IEnumerable<(string Name, IEnumerable<(double X, double Y)> Points)>> series)
    {
        p.Labels(null, Time.Unit(t), yLabel);
        if (log) p.LogY();
        Time.MarkSwitches(p, runs[0], t);
        var byName = runs.SelectMany(series).GroupBy(x => x.Name).ToList();
        for (int i = 0; i < byName.Count; i++)
        {
            var points = byName[i].SelectMany(x => x.Points).Where(q => double.IsFinite(q.X) && double.IsFinite(q.Y))
                .GroupBy(q => q.X).OrderBy(g => g.Key).ToList();
            p.Line([.. points.Select(g => g.Key)], [.. points.Select(g => g.Average(q => q.Y))], byName.Count > 1 ? byName[i].Key : null,
                byName.Count > 1 ? Look.Sequential(i, byName.Count) : Look.Categorical(0));
        }
        if (byName.Count > 1) p.ShowLegend(Alignment.UpperLeft);
    }

    // One panel per quantity, the strategies down the y axis (the first at the top), the quantity along x.
    private static Chart Quantities(SweepResult s, IReadOnlyList<string> strategies)
    {
        string[] keys = ["velocity_peak", "lambda_drop", "kernel_distance_across", "old_task_drift", "accuracy_drop"];
        var byKey = SwitchQuantity.All.ToDictionary(q => q.Key);
        var chart = new Chart(1, keys.Length, keys.Length * 300, 60 + 34 * strategies.Count + 100) { Title = "Task switches per strategy" };
        double Row(string strategy) => strategies.Count - 1 - IndexOf(strategies, strategy);
        double[] rows = [.. strategies.Select(Row)];
        Color dark = Look.Viridis.GetColor(0.3), light = Look.Lighter(dark, 0.55);
        for (int k = 0; k < keys.Length; k++)
        {
            SwitchQuantity q = byKey[keys[k]];
            Plot p = chart.Panel(0, k);
            p.Labels(q.Title ?? q.Key, q.Header, null);
            var samples = s.Runs.SelectMany(r => r.Switches.Select(sw => (Y: Row(r.Cell.Params[Variable].Text), X: q.Value(sw)))).ToList();
            p.Dots([.. samples.Select(v => v.X)], [.. samples.Select(v => v.Y)], null, light);
            var means = rows.Select(y => Statistics.MeanAndStandardError(samples.Where(v => v.Y == y).Select(v => v.X))).ToList();
            var drawn = rows.Select((y, i) => (Y: y, M: means[i])).Where(m => double.IsFinite(m.M.Mean)).ToList();
            var bars = new ScottPlot.Plottables.ErrorBar([.. drawn.Select(m => m.M.Mean)], [.. drawn.Select(m => m.Y)],
                [.. drawn.Select(m => double.IsFinite(m.M.StandardError) ? m.M.StandardError : 0)], [.. drawn.Select(m => double.IsFinite(m.M.StandardError) ? m.M.StandardError : 0)],
                null, null) { Color = dark, LineWidth = 1.2f, CapSize = 6 };
            p.PlottableList.Add(bars);
            p.Dots([.. drawn.Select(m => m.M.Mean)], [.. drawn.Select(m => m.Y)], "mean ± SE", dark).MarkerSize = 7;
            p.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(rows, [.. strategies]);
            p.Axes.Margins(0.1, 0.08);
        }
        return chart;
    }

    private static int IndexOf(IReadOnlyList<string> list, string value)
    {
        for (int i = 0; i < list.Count; i++) if (list[i] == value) return i;
        return -1;
    }
}
