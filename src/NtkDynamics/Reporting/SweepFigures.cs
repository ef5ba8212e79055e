using System.Globalization;
using NtkDynamics.Analysis;
using NtkDynamics.Experiments;
using ScottPlot;

namespace NtkDynamics.Reporting;

/// <summary>
/// The figures of a sweep: the paper's panels with one line per value of the first swept variable (seeds averaged, coloured in
/// order with a colour bar), one set per combination of the other swept variables; and each headline task-switch quantity
/// against each correlated variable (every run as a light dot, mean ± standard error as a line, Spearman's ρ in the y label);
/// a sweep over strategies adds <see cref="StrategyFigures"/>.
/// </summary>
public static class SweepFigures
{
    private const int PanelW = 560, PanelH = 360;

    public static FigureSet Build(SweepResult s, FigureOptions? options = null)
    {
        options ??= new FigureOptions();
        var figures = new List<NamedFigure>();
        string? primary = s.Variables.Count > 0 ? s.Variables[0] : null;
        string[] others = [.. s.Variables.Skip(1)];
        foreach (var facet in s.Runs.GroupBy(r => string.Join(",", others.Select(v => $"{v}={Value(r, v).Text}"))).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            string suffix = facet.Key.Length > 0 ? "_" + FileSafe(facet.Key) : "";
            string where = facet.Key.Length > 0 ? $" ({facet.Key})" : "";
            var levels = facet.GroupBy(r => primary is null ? new ParamValue("all", double.NaN) : Value(r, primary)).OrderBy(g => g.Key).ToList();
            string[] levelNames = [.. levels.Select(l => l.Key.Text)];
            string barLabel = primary is null ? "runs" : Short(primary);
            string seeds = $"each line the mean over the seeds of one {barLabel}";

            RunData first = levels[0].First().Run;
            // Each panel alone and in the overview (two per row): a new time series is one more entry here.
            List<(string Name, string Title, Action<Plot> Draw)> panels =
            [
                .. PaperMetric.All.Select(m => (m.Name, m.Title, (Action<Plot>)(p => Metric(p, m, levels, options.Time)))),
                ("accuracy_first_task", "Test accuracy on the first task", p => FirstTaskAccuracy(p, levels, options.Time)),
            ];
            int rows = (panels.Count + 1) / 2;
            var overview = new Chart(rows, 2, 2 * 500, rows * 300 + 34) { Title = $"Sweep {Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(s.Folder)))}{where}: one line per {barLabel}" };
            for (int i = 0; i < panels.Count; i++)
            {
                var single = new Chart(1, 1, PanelW, PanelH);
                foreach (Plot p in new[] { overview.Panel(i / 2, i % 2), single.Panel(0, 0) })
                {
                    Time.MarkSwitches(p, first, options.Time);
                    panels[i].Draw(p);
                    p.Title(panels[i].Title);
                    p.Levels(barLabel, levelNames);
                }
                figures.Add(new NamedFigure(panels[i].Name + suffix, single, $"{panels[i].Title}{where}: {seeds}; dashed lines mark task switches."));
            }
            figures.Add(new NamedFigure("overview" + suffix, overview, $"The paper's panels{where}: {seeds}; λmax and velocity on log axes."));
        }
        foreach (string v in s.CorrelationVariables)
            figures.Add(new NamedFigure($"switch_vs_{FileSafe(v)}", QuantitiesAgainst(s, v),
                $"Task-switch quantities against {v}: dots are single runs and switches, the line is the mean ± standard error; ρ is Spearman's rank correlation over all dots."));
        figures.AddRange(StrategyFigures.Build(s, options));
        List<string> notes = s.CorrelationVariables.Count == 0 ? ["No swept variable is numeric, so there are no plots of the task-switch quantities against one."] : [];
        return new FigureSet(figures, notes);
    }

    private static ParamValue Value(SweepRun r, string variable) =>
        r.Cell.Params.TryGetValue(variable, out ParamValue v) ? v : new ParamValue("", double.NaN);

    /// <summary>The last part of a dotted key: "model.width" → "width".</summary>
    private static string Short(string key) => key[(key.LastIndexOf('.') + 1)..];

    private static string FileSafe(string s) => string.Concat(s.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '=' or '_' ? c : '_'));

    private static void Metric(Plot p, PaperMetric m, List<IGrouping<ParamValue, SweepRun>> levels, TimeAxis t)
    {
        p.Labels(null, Time.Unit(t), m.YLabelFor(t));
        if (m.LogY) p.LogY();
        for (int i = 0; i < levels.Count; i++)
        {
            var (xs, ys) = MeanOverSeeds(levels[i].Select(r => r.Run.Measurements.Select(x => (Time.Of(x, t), m.Value(x, t)))));
            p.Line(xs, ys, levels[i].Key.Text, Look.Sequential(i, levels.Count));
        }
    }

    private static void FirstTaskAccuracy(Plot p, List<IGrouping<ParamValue, SweepRun>> levels, TimeAxis t)
    {
        p.Labels(null, Time.Unit(t), "accuracy on T1");
        for (int i = 0; i < levels.Count; i++)
        {
            var (xs, ys) = MeanOverSeeds(levels[i].Select(r => r.Run.Evaluations.Where(e => e.EvalTask == 0).Select(e => (Time.Of(e, t), e.Accuracy))));
            p.Line(xs, ys, levels[i].Key.Text, Look.Sequential(i, levels.Count));
        }
        p.YRange(0, 1);
    }

    /// <summary>At every x any run has, the mean of the finite values the runs have there (the last one when a run repeats an x).</summary>
    private static (double[] Xs, double[] Ys) MeanOverSeeds(IEnumerable<IEnumerable<(double X, double Y)>> runs)
    {
        var byX = new SortedDictionary<double, List<double>>();
        foreach (var run in runs)
            foreach (var (x, y) in run.GroupBy(p => p.X).Select(g => g.Last()))
                if (double.IsFinite(x) && double.IsFinite(y))
                    (byX.TryGetValue(x, out var list) ? list : byX[x] = []).Add(y);
        return ([.. byX.Keys], [.. byX.Values.Select(v => v.Average())]);
    }

    private static Chart QuantitiesAgainst(SweepResult s, string variable)
    {
        IReadOnlyList<SwitchQuantity> qs = SwitchQuantity.Headlines;
        int cols = 4, rows = (qs.Count + cols - 1) / cols;
        var chart = new Chart(rows, cols, cols * 260, rows * 290 + 34) { Title = $"Task-switch quantities against {variable}" };
        var samples = s.Runs.SelectMany(r => r.Switches.Select(sw => (X: variable == SweepAnalysis.SimilarityVariable ? sw.Similarity : Value(r, variable).Number, Sw: sw))).ToList();
        double[] xs = [.. samples.Select(x => x.X)];
        bool log = xs.All(x => x > 0) && xs.Max() / xs.Min() >= 8;
        double[] levels = [.. xs.Where(double.IsFinite).Distinct().Order()];
        Color dark = Look.Viridis.GetColor(0.3), light = Look.Lighter(dark, 0.55);
        for (int i = 0; i < qs.Count; i++)
        {
            SwitchQuantity q = qs[i];
            Plot p = chart.Panel(i / cols, i % cols);
            RankCorrelation c = s.Correlations.Single(c => c.Variable == variable && c.Quantity == q.Key);
            p.Labels(q.Title, Short(variable), $"{q.Header}  (ρ = {(double.IsNaN(c.Rho) ? "—" : c.Rho.ToString("0.00", CultureInfo.InvariantCulture).Replace('-', '−'))})");
            if (log) p.LogX();
            if (levels.Length <= 8) p.XTicksAt(levels);
            p.Axes.Margins(0.2, 0.2); // few points: a tenth of the range on each side keeps them off the frame
            double[] ys = [.. samples.Select(x => q.Value(x.Sw))];
            p.Dots(xs, ys, null, light);
            var means = samples.GroupBy(x => x.X).OrderBy(g => g.Key).Select(g => (X: g.Key, M: Statistics.MeanAndStandardError(g.Select(x => q.Value(x.Sw))))).ToList();
            double[] mx = [.. means.Select(m => m.X)], my = [.. means.Select(m => m.M.Mean)];
            p.ErrorBars(mx, my, [.. means.Select(m => m.M.StandardError)], dark);
            p.Line(mx, my, "mean ± SE", dark, markers: true);
        }
        return chart;
    }
}
