using System.Globalization;
using NtkDynamics.Analysis;
using NtkDynamics.Experiments;

namespace NtkDynamics.Reporting;

/// <summary>
/// The paper's figures for one run: each time-series panel (λmax, kernel distance, velocity, alignment, loss, test accuracy)
/// alone and together in an overview, task switches marked; the kernel-distance heatmap over pairs of saved kernels; the
/// accuracy matrix; the eigenvalue spectrum at chosen steps.
/// </summary>
public static class RunFigures
{
    private const double PanelW = 520, PanelH = 360;

    public static FigureSet Build(RunData run, FigureOptions? options = null)
    {
        options ??= new FigureOptions();
        var figures = new List<NamedFigure>();
        var notes = new List<string>();
        TimeAxis t = options.Time;
        string unit = Time.Unit(t);

        List<(string Name, string Caption, Action<Panel> Draw)> panels =
        [
            .. PaperMetric.All.Select(m => (m.Name, $"{m.Title} against {unit}s; dashed lines mark task switches.", (Action<Panel>)(p => DrawMetric(p, run, m, t)))),
            ("accuracy", $"Test accuracy on each task's test set against {unit}s.", p => DrawAccuracy(p, run, t)),
        ];
        var overview = new Figure(3, 2, 2 * 470, 3 * 300) { Title = $"{run.Name}: eNTK dynamics (dashed lines: task switches)" };
        figures.Add(new NamedFigure("overview", overview, $"λmax and velocity on log axes; against {unit}s."));
        for (int i = 0; i < panels.Count; i++)
        {
            var single = new Figure(1, 1, PanelW, PanelH);
            panels[i].Draw(overview.Panel(i / 2, i % 2));
            panels[i].Draw(single.Panel(0, 0));
            figures.Add(new NamedFigure(panels[i].Name, single, panels[i].Caption));
        }

        if (KernelDistanceMatrix.FromRun(run, options.MaxHeatmapKernels) is { } matrix)
            figures.Add(new NamedFigure("kernel_heatmap", Heatmap(run, matrix),
                $"S(Θₛ, Θₜ) = 1 − CKA between the kernels of {matrix.Measurements.Count} measurements (steps on both axes); white lines mark task switches."));
        else
            notes.Add("No kernels were saved (ntk.save_kernels: false), so there is no kernel-distance heatmap.");

        figures.Add(new NamedFigure("accuracy_matrix", AccuracyMatrix(run), "Accuracy on task j's test set (columns) after training task i (rows)."));

        (Figure spectrum, bool full) = Spectrum(run, options.SpectrumSteps);
        figures.Add(new NamedFigure("spectrum", spectrum, full
            ? "Eigenvalues of the saved kernels, largest first, at the chosen steps (values below 1e-10 λmax left out)."
            : "The top eigenvalues recorded in metrics.jsonl at the chosen steps (no kernels saved for the full spectrum)."));
        return new FigureSet(figures, notes);
    }

    private static void DrawMetric(Panel p, RunData run, PaperMetric m, TimeAxis t)
    {
        p.Title = m.Title;
        p.XLabel = Time.Unit(t);
        p.YLabel = m.YLabelFor(t);
        p.YScale = m.YScale;
        p.Legend = LegendPlace.None;
        Time.MarkSwitches(p, run, t);
        p.Line([.. run.Measurements.Select(x => Time.Of(x, t))], [.. run.Measurements.Select(x => m.Value(x, t))], color: Colors.Categorical(0));
    }

    private static void DrawAccuracy(Panel p, RunData run, TimeAxis t)
    {
        p.Title = "Test accuracy per task";
        p.XLabel = Time.Unit(t);
        p.YLabel = "accuracy";
        p.YMin = 0;
        p.YMax = 1;
        p.Legend = LegendPlace.Outside;
        Time.MarkSwitches(p, run, t);
        foreach (var g in run.Evaluations.GroupBy(e => e.EvalTask).OrderBy(g => g.Key))
        {
            List<Evaluation> rows = [.. g.OrderBy(e => e.Step)];
            p.Line([.. rows.Select(e => Time.Of(e, t))], [.. rows.Select(e => e.Accuracy)], $"T{g.Key + 1}", Colors.Categorical(g.Key));
        }
    }

    private static Figure Heatmap(RunData run, KernelDistanceMatrix matrix)
    {
        var fig = new Figure(1, 1, 640, 560);
        Panel p = fig.Panel(0, 0);
        p.Title = "Kernel distance between measurements";
        p.XLabel = "step";
        p.YLabel = "step";
        string[] labels = [.. matrix.Measurements.Select(m => m.Step.ToString(CultureInfo.InvariantCulture))];
        int[] dividers = [.. run.SwitchSteps.Select(s => matrix.Measurements.Count(m => m.Step <= s)).Where(i => i > 0 && i < labels.Length)];
        p.Heatmap(matrix.Distances, "S(Θₛ, Θₜ)", rowLabels: labels, colLabels: labels, min: 0, dividers: dividers);
        return fig;
    }

    private static Figure AccuracyMatrix(RunData run)
    {
        int n = run.Tasks.Count;
        var fig = new Figure(1, 1, Math.Clamp(220 + 60 * n, 420, 760), Math.Clamp(140 + 56 * n, 300, 680));
        Panel p = fig.Panel(0, 0);
        p.Title = "Accuracy matrix";
        p.XLabel = "evaluated on task";
        p.YLabel = "after training task";
        string[] names = [.. Enumerable.Range(1, n).Select(i => $"T{i}")];
        p.Heatmap(run.AccuracyMatrix(), "accuracy", "0.00", names, names, 0, 1);
        return fig;
    }

    /// <summary>One line per chosen step, coloured in time order; the full spectrum from saved kernels, else eigenvalues_top.</summary>
    private static (Figure, bool Full) Spectrum(RunData run, IReadOnlyList<int>? steps)
    {
        IReadOnlyList<Measurement> ms = run.Measurements;
        IEnumerable<int> wanted = steps ?? [0, .. run.SwitchSteps, ms[^1].Step];
        List<Measurement> chosen = [.. wanted.Select(s => ms.LastOrDefault(m => m.Step <= s) ?? ms[0]).Distinct().OrderBy(m => m.Step)];
        bool full = chosen.All(m => run.KernelPath(m) != null);
        var fig = new Figure(1, 1, PanelW + 60, PanelH);
        Panel p = fig.Panel(0, 0);
        p.Title = full ? "Eigenvalue spectrum of Θₜ" : "Top eigenvalues of Θₜ";
        p.XLabel = "index (largest first)";
        p.YLabel = "eigenvalue";
        p.YScale = Scale.Log;
        if (full) p.XScale = Scale.Log;
        else p.XTickValues = [.. Enumerable.Range(1, chosen.Max(m => m.EigenvaluesTop.Length)).Select(i => (double)i)];
        p.Legend = LegendPlace.None;
        for (int i = 0; i < chosen.Count; i++)
        {
            double[] values = full ? Descending(run.KernelPath(chosen[i])!) : chosen[i].EigenvaluesTop;
            p.Line([.. values.Select((_, j) => j + 1.0)], values, $"step {chosen[i].Step}", Colors.Sequential(i, chosen.Count), markers: !full || values.Length <= 40);
        }
        p.ColorBar("step", [.. chosen.Select(m => m.Step.ToString(CultureInfo.InvariantCulture))]);
        return (fig, full);
    }

    private static double[] Descending(string kernelPath)
    {
        double[] all = Ntk.Metrics.Spectrum.Of(Formats.Npy.Read(kernelPath).ToDouble(), kernelPath).Descending();
        return [.. all.TakeWhile(v => v > all[0] * 1e-10)];
    }
}
