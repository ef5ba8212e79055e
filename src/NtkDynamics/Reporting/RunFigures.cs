using System.Globalization;
using NtkDynamics.Analysis;
using NtkDynamics.Experiments;
using ScottPlot;

namespace NtkDynamics.Reporting;

/// <summary>
/// The paper's figures for one run: each time-series panel (λmax, kernel distance, velocity, alignment, loss, test accuracy)
/// alone and together in an overview, task switches marked; the kernel-distance heatmap over pairs of saved kernels; the
/// accuracy matrix; the eigenvalue spectrum at chosen steps.
/// </summary>
public static class RunFigures
{
    private const int PanelW = 520, PanelH = 360;

    public static FigureSet Build(RunData run, FigureOptions? options = null)
    {
        options ??= new FigureOptions();
        var figures = new List<NamedFigure>();
        var notes = new List<string>();
        TimeAxis t = options.Time;
        string unit = Time.Unit(t);

        // Each panel alone and in the overview (two per row): a new time series is one more entry here.
        List<(string Name, string Caption, Action<Plot> Draw)> panels =
        [
            .. PaperMetric.All.Select(m => (m.Name, $"{m.Title} against {unit}s; dashed lines mark task switches.", (Action<Plot>)(p => DrawMetric(p, run, m, t)))),
            ("accuracy", $"Test accuracy on each task's test set against {unit}s.", p => DrawAccuracy(p, run, t)),
        ];
        int rows = (panels.Count + 1) / 2;
        var overview = new Chart(rows, 2, 2 * 480, rows * 300 + 34) { Title = $"{run.Name}: eNTK dynamics (dashed lines: task switches)" };
        figures.Add(new NamedFigure("overview", overview, $"λmax and velocity on log axes; against {unit}s."));
        for (int i = 0; i < panels.Count; i++)
        {
            var single = new Chart(1, 1, PanelW, PanelH);
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

        (Chart spectrum, bool full) = Spectrum(run, options.SpectrumSteps);
        figures.Add(new NamedFigure("spectrum", spectrum, full
            ? "Eigenvalues of the saved kernels, largest first, at the chosen steps (values below 1e-10 λmax left out)."
            : "The top eigenvalues recorded in metrics.jsonl at the chosen steps (no kernels saved for the full spectrum)."));
        return new FigureSet(figures, notes);
    }

    private static void DrawMetric(Plot p, RunData run, PaperMetric m, TimeAxis t)
    {
        p.Labels(m.Title, Time.Unit(t), m.YLabelFor(t));
        if (m.LogY) p.LogY();
        Time.MarkSwitches(p, run, t);
        p.Line([.. run.Measurements.Select(x => Time.Of(x, t))], [.. run.Measurements.Select(x => m.Value(x, t))], null, Look.Categorical(0));
    }

    private static void DrawAccuracy(Plot p, RunData run, TimeAxis t)
    {
        p.Labels("Test accuracy per task", Time.Unit(t), "accuracy");
        Time.MarkSwitches(p, run, t);
        foreach (var g in run.Evaluations.GroupBy(e => e.EvalTask).OrderBy(g => g.Key))
        {
            List<Evaluation> rows = [.. g.OrderBy(e => e.Step)];
            p.Line([.. rows.Select(e => Time.Of(e, t))], [.. rows.Select(e => e.Accuracy)], $"T{g.Key + 1}", Look.Categorical(g.Key));
        }
        p.YRange(0, 1);
        p.LegendOutside();
    }

    private static Chart Heatmap(RunData run, KernelDistanceMatrix matrix)
    {
        var chart = new Chart(1, 1, 660, 580);
        Plot p = chart.Panel(0, 0);
        p.Labels("Kernel distance between measurements", "step", "step");
        string[] labels = [.. matrix.Measurements.Select(m => m.Step.ToString(CultureInfo.InvariantCulture))];
        int[] dividers = [.. run.SwitchSteps.Select(s => matrix.Measurements.Count(m => m.Step <= s)).Where(i => i > 0 && i < labels.Length)];
        p.Matrix(matrix.Distances, "S(Θₛ, Θₜ)", labels, labels, min: 0, dividers: dividers);
        return chart;
    }

    private static Chart AccuracyMatrix(RunData run)
    {
        int n = run.Tasks.Count;
        var chart = new Chart(1, 1, Math.Clamp(240 + 60 * n, 420, 760), Math.Clamp(150 + 56 * n, 300, 680));
        Plot p = chart.Panel(0, 0);
        p.Labels("Accuracy matrix", "evaluated on task", "after training task");
        string[] names = [.. Enumerable.Range(1, n).Select(i => $"T{i}")];
        p.Matrix(run.AccuracyMatrix(), "accuracy", names, names, 0, 1, "0.00");
        return chart;
    }

    /// <summary>One line per chosen step, coloured in time order; the full spectrum from saved kernels, else eigenvalues_top.</summary>
    private static (Chart, bool Full) Spectrum(RunData run, IReadOnlyList<int>? steps)
    {
        IReadOnlyList<Measurement> ms = run.Measurements;
        IEnumerable<int> wanted = steps ?? [0, .. run.SwitchSteps, ms[^1].Step];
        List<Measurement> chosen = [.. wanted.Select(s => ms.LastOrDefault(m => m.Step <= s) ?? ms[0]).Distinct().OrderBy(m => m.Step)];
        bool full = chosen.All(m => run.KernelPath(m) != null);
        var chart = new Chart(1, 1, PanelW + 60, PanelH);
        Plot p = chart.Panel(0, 0);
        p.Labels(full ? "Eigenvalue spectrum of Θₜ" : "Top eigenvalues of Θₜ", "index (largest first)", "eigenvalue");
        p.LogY();
        if (full) p.LogX();
        else p.XTicksAt([.. Enumerable.Range(1, chosen.Max(m => m.EigenvaluesTop.Length)).Select(i => (double)i)]);
        for (int i = 0; i < chosen.Count; i++)
        {
            double[] values = full ? Descending(run.KernelPath(chosen[i])!) : chosen[i].EigenvaluesTop;
            p.Line([.. values.Select((_, j) => j + 1.0)], values, $"step {chosen[i].Step}", Look.Sequential(i, chosen.Count), markers: !full || values.Length <= 40);
        }
        p.Levels("step", [.. chosen.Select(m => m.Step.ToString(CultureInfo.InvariantCulture))]);
        return (chart, full);
    }

    private static double[] Descending(string kernelPath)
    {
        double[] all = Ntk.Metrics.Spectrum.Of(Formats.Npy.Read(kernelPath).ToDouble(), kernelPath).Descending();
        return [.. all.TakeWhile(v => v > all[0] * 1e-10)];
    }
}
