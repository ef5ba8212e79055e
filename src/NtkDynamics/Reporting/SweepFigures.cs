using System.Globalization;
using NtkDynamics.Analysis;
using NtkDynamics.Experiments;

namespace NtkDynamics.Reporting;

/// <summary>
/// The figures of a sweep: the paper's panels with one line per value of the first swept variable (seeds averaged, coloured in
/// order with a colour bar), one set per combination of the other swept variables; and each headline task-switch quantity
/// against each correlated variable (every run as a light dot, mean ± standard error as a line, Spearman's ρ in the y label).
/// </summary>
public static class SweepFigures
{
    private const double PanelW = 560, PanelH = 360;

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
            var overview = new Figure(3, 2, 2 * 480, 3 * 300) { Title = $"Sweep {Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(s.Folder)))}{where}: one line per {barLabel}" };
            List<(string Name, Action<Panel> Draw)> panels =
            [
                .. PaperMetric.All.Select(m => (m.Name, (Action<Panel>)(p => Metric(p, m, levels, options.Time)))),
                ("accuracy_first_task", p => FirstTaskAccuracy(p, levels, options.Time)),
            ];
            for (int i = 0; i < panels.Count; i++)
            {
                var single = new Figure(1, 1, PanelW, PanelH);
                foreach (Panel p in new[] { overview.Panel(i / 2, i % 2), single.Panel(0, 0) })
                {
                    panels[i].Draw(p);
                    Time.MarkSwitches(p, first, options.Time);
                    p.ColorBar(barLabel, levelNames);
                }
                figures.Add(new NamedFigure(panels[i].Name + suffix, single, $"{single.Panel(0, 0).Title}{where}: {seeds}; dashed lines mark task switches."));
            }
            figures.Add(new NamedFigure("overview" + suffix, overview, $"The paper's panels{where}: {seeds}; λmax and velocity on log axes."));
        }
        foreach (string v in s.CorrelationVariables)
            figures.Add(new NamedFigure($"switch_vs_{FileSafe(v)}", QuantitiesAgainst(s, v),
                $"Task-switch quantities against {v}: dots are single runs and switches, the line is the mean ± standard error; ρ is Spearman's rank correlation over all dots."));
        List<string> notes = s.CorrelationVariables.Count == 0 ? ["No swept variable is numeric, so there are no plots of the task-switch quantities against one."] : [];
        return new FigureSet(figures, notes);
    }

    private static ParamValue Value(SweepRun r, string variable) =>
        r.Cell.Params.TryGetValue(variable, out ParamValue v) ? v : new ParamValue("", double.NaN);

    /// <summary>The last part of a dotted key: "model.width" → "width".</summary>
    private static string Short(string key) => key[(key.LastIndexOf('.') + 1)..];

    private static string FileSafe(string s) => string.Concat(s.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '=' or '_' ? c : '_'));

    private static void Metric(Panel p, PaperMetric m, List<IGrouping<ParamValue, SweepRun>> levels, TimeAxis t)
    {
        p.Title = m.Title;
        p.XLabel = Time.Unit(t);
        p.YLabel = m.YLabelFor(t);
        p.YScale = m.YScale;
        for (int i = 0; i < levels.Count; i++)
        {
            var (xs, ys) = MeanOverSeeds(levels[i].Select(r => r.Run.Measurements.Select(x => (Time.Of(x, t), m.Value(x, t)))));
            p.Line(xs, ys, levels[i].Key.Text, Colors.Sequential(i, levels.Count));
        }
        p.Legend = LegendPlace.None;
    }

    private static void FirstTaskAccuracy(Panel p, List<IGrouping<ParamValue, SweepRun>> levels, TimeAxis t)
    {
        p.Title = "Test accuracy on the first task";
        p.XLabel = Time.Unit(t);
        p.YLabel = "accuracy on T1";
        p.YMin = 0;
        p.YMax = 1;
        for (int i = 0; i < levels.Count; i++)
        {
            var (xs, ys) = MeanOverSeeds(levels[i].Select(r => r.Run.Evaluations.Where(e => e.EvalTask == 0).Select(e => (Time.Of(e, t), e.Accuracy))));
            p.Line(xs, ys, levels[i].Key.Text, Colors.Sequential(i, levels.Count));
        }
        p.Legend = LegendPlace.None;
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

    private static Figure QuantitiesAgainst(SweepResult s, string variable)
    {
        IReadOnlyList<SwitchQuantity> qs = SwitchQuantity.Headlines;
        int cols = 4, rows = (qs.Count + cols - 1) / cols;
        var fig = new Figure(rows, cols, cols * 245, rows * 290) { Title = $"Task-switch quantities against {variable}" };
        var samples = s.Runs.SelectMany(r => r.Switches.Select(sw => (X: variable == SweepAnalysis.SimilarityVariable ? sw.Similarity : Value(r, variable).Number, Sw: sw))).ToList();
        double[] xs = [.. samples.Select(x => x.X)];
        bool log = xs.All(x => x > 0) && xs.Max() / xs.Min() >= 8;
        double[] levels = [.. xs.Where(double.IsFinite).Distinct().Order()];
        Rgb dark = Colors.Viridis(0.3), light = Rgb.Mix(dark, Rgb.Parse("#ffffff"), 0.55);
        for (int i = 0; i < qs.Count; i++)
        {
            SwitchQuantity q = qs[i];
            Panel p = fig.Panel(i / cols, i % cols);
            RankCorrelation c = s.Correlations.Single(c => c.Variable == variable && c.Quantity == q.Key);
            p.Title = q.Title;
            p.YLabel = $"{q.Header}  (ρ = {(double.IsNaN(c.Rho) ? "—" : c.Rho.ToString("0.00", CultureInfo.InvariantCulture).Replace('-', '−'))})";
            p.XLabel = Short(variable);
            p.XScale = log ? Scale.Log : Scale.Linear;
            if (levels.Length <= 8) p.XTickValues = levels;
            p.Legend = LegendPlace.None;
            double[] ys = [.. samples.Select(x => q.Value(x.Sw))];
            p.Scatter(xs, ys, color: light);
            var means = samples.GroupBy(x => x.X).OrderBy(g => g.Key).Select(g => (X: g.Key, M: Statistics.MeanAndStandardError(g.Select(x => q.Value(x.Sw))))).ToList();
            p.Line([.. means.Select(m => m.X)], [.. means.Select(m => m.M.Mean)], "mean ± SE", dark, markers: true, errors: [.. means.Select(m => m.M.StandardError)]);
        }
        return fig;
    }
}
