using NtkDynamics.Analysis;
using NtkDynamics.Experiments;
using NtkDynamics.Reporting;
using NtkDynamics.Tests.Analysis;
using NtkDynamics.Tests.Data;
using ScottPlot;
using ScottPlot.Plottables;
using Xunit.Abstractions;

namespace NtkDynamics.Tests.Reporting;

/// <summary>The run's figures, read from the ScottPlot plots the domain layer builds.</summary>
public class RunFiguresTests(ITestOutputHelper output)
{
    private static Plot Single(FigureSet set, string name) => set.Find(name)!.Figure.Panels.Single();

    private static Coordinates[] Points(Plot p) => [.. p.GetPlottables<Scatter>().SelectMany(s => s.Data.GetScatterPoints())];

    [Fact]
    public void PanelsShowEveryMeasurementWithTaskSwitchesAndLogAxes()
    {
        using var dir = new TempFolder();
        RunData run = RunData.Load(SyntheticRun.Create(64, 1).Write(dir.Path));
        FigureSet set = RunFigures.Build(run);
        Assert.Empty(set.Notes);
        Assert.Equal(["overview", "lambda_max", "kernel_distance", "velocity", "alignment", "loss", "accuracy", "kernel_heatmap", "accuracy_matrix", "spectrum"],
            set.Figures.Select(f => f.Name));

        IReadOnlyList<Plot> overview = set.Find("overview")!.Figure.Panels;
        Assert.Equal(6, overview.Count);
        Assert.All(overview, p => Assert.Equal(["T2", "T3"], p.GetPlottables<VerticalLine>().Select(v => v.Text)));
        Assert.Equal(["Largest eigenvalue λmax", "Kernel distance from initialisation", "Kernel velocity", "Kernel-label alignment", "Training loss", "Test accuracy per task"],
            overview.Select(p => p.Axes.Title.Label.Text));

        Plot lambda = Single(set, "lambda_max");
        Assert.True(lambda.IsLogY() && !lambda.IsLogX());
        Assert.Equal(("step", "λmax"), (lambda.Axes.Bottom.Label.Text, lambda.Axes.Left.Label.Text));
        Coordinates[] pts = Points(lambda);
        Assert.Equal(61, pts.Length);
        Assert.Equal([.. run.Measurements.Select(m => Math.Log10(m.LambdaMax))], pts.Select(c => c.Y));
        Assert.Equal([.. run.Measurements.Select(m => (double)m.Step)], pts.Select(c => c.X));
        Assert.Equal([.. run.SwitchSteps.Select(s => (double)s)], lambda.GetPlottables<VerticalLine>().Select(v => v.X));
        string svg = set.Find("lambda_max")!.Figure.ToSvg();
        double[] yTicks = [.. lambda.Axes.Left.TickGenerator.Ticks.Where(t => t.IsMajor).Select(t => SvgDoc.Label(t.Label))];
        double lo = run.Measurements.Min(m => m.LambdaMax), hi = run.Measurements.Max(m => m.LambdaMax);
        Assert.True(yTicks.Length >= 2 && yTicks.Min() <= hi && yTicks.Max() >= lo, $"y ticks {string.Join(", ", yTicks)} miss [{lo}, {hi}]");
        Assert.All(lambda.Axes.Left.TickGenerator.Ticks.Where(t => t.IsMajor), t => Assert.Contains($">{t.Label}<", svg.Replace("\n", "").Replace("\t", "")));
        output.WriteLine($"λmax {lo:G4}..{hi:G4}, y ticks {string.Join(", ", yTicks)}");

        // velocity is undefined at step 0: the line starts at the second measurement.
        Assert.Equal(60, Points(Single(set, "velocity")).Length);

        Plot acc = Single(set, "accuracy");
        Assert.Equal(["T1", "T2", "T3"], acc.GetPlottables<Scatter>().Select(s => s.LegendText).Where(t => t.Length > 0));
        Assert.Contains(acc.Axes.GetPanels(), x => x is ScottPlot.Panels.LegendPanel);
        Assert.Equal((0.0, 1.0), (acc.Axes.GetLimits().Bottom, acc.Axes.GetLimits().Top));
    }

    [Fact]
    public void HeatmapIsSubsampledEvenlyAndHasZeroDiagonal()
    {
        using var dir = new TempFolder();
        RunData run = RunData.Load(SyntheticRun.Create(16, 2).Write(dir.Path));
        Plot full = Single(RunFigures.Build(run), "kernel_heatmap");
        Heatmap map = full.GetPlottables<Heatmap>().Single();
        Assert.Equal((61, 61), (map.Intensities.GetLength(0), map.Intensities.GetLength(1)));
        Assert.Equal(2, full.GetPlottables<VerticalLine>().Count()); // dividers at the two switches
        Assert.Equal(2, full.GetPlottables<HorizontalLine>().Count());
        Assert.Equal("S(Θₛ, Θₜ)", full.Axes.GetPanels().OfType<ScottPlot.Panels.ColorBar>().Single().Label);

        double[,] small = Single(RunFigures.Build(run, new FigureOptions(MaxHeatmapKernels: 20)), "kernel_heatmap").GetPlottables<Heatmap>().Single().Intensities;
        Assert.Equal(400, small.Length);
        for (int i = 0; i < 20; i++) Assert.Equal(0, small[i, i]);
        // the off-diagonal values are the library's kernel distances between the chosen measurements.
        KernelDistanceMatrix m = KernelDistanceMatrix.FromRun(run, 20)!;
        Assert.Equal([0, 600], new[] { m.Measurements[0].Step, m.Measurements[^1].Step });
        // 1 - CKA of the same float64 kernels, the matrix's from centred kernels it keeps: two evaluation orders of CKA's three
        // sums of n² products of entries centred by sums of n, within 2γ each, the quotient and root a few
        // u more; CKA is 0.49 here, so no cancellation in 1 - CKA.
        int n = 24; // SyntheticRun's probe rows
        Close.Relative(m.Measurements[^1].KernelDistanceInit, m.Distances[0, 19], 8 * Close.Gamma(n * n + 2 * n, Close.U64));
        Assert.Equal(m.Distances[0, 19], small[0, 19]);
        Assert.Equal([0, 3, 7, 10], KernelDistanceMatrix.EvenlySpaced(11, 4));
    }

    [Fact]
    public void WithoutKernelsTheHeatmapIsSkippedWithANote()
    {
        using var dir = new TempFolder();
        RunData run = RunData.Load(SyntheticRun.Create(16, 0, tasks: 2, kernels: false).Write(dir.Path));
        FigureSet set = RunFigures.Build(run);
        Assert.Null(set.Find("kernel_heatmap"));
        Assert.Contains("No kernels were saved", Assert.Single(set.Notes));
        Plot spectrum = Single(set, "spectrum");
        set.Find("spectrum")!.Figure.ToSvg(); // manual ticks are laid out when rendered
        List<Scatter> lines = [.. spectrum.GetPlottables<Scatter>()];
        Assert.Equal(["step 0", "step 200", "step 400"], lines.Select(s => s.LegendText)); // step 0, the switch, the end
        Assert.All(lines, s => Assert.Equal(5, s.Data.GetScatterPoints().Count));
        Assert.All(lines, s => Assert.True(s.MarkerSize > 0));
        Assert.Equal(["0", "200", "400"], spectrum.Axes.GetPanels().OfType<ScottPlot.Panels.ColorBar>().Single().Axis.TickGenerator.Ticks.Select(t => t.Label));
    }

    [Fact]
    public void AccuracyMatrixShowsTheLastEvaluationOfEachTask()
    {
        using var dir = new TempFolder();
        RunData run = RunData.Load(SyntheticRun.Create(16, 0).Write(dir.Path));
        double[,] a = run.AccuracyMatrix();
        Evaluation last = run.Evaluations.Where(e => e.TrainedTask == 0 && e.EvalTask == 0).MaxBy(e => e.Step)!;
        Assert.Equal(200, last.Step);
        Assert.Equal(last.Accuracy, a[0, 0]);
        FigureSet set = RunFigures.Build(run);
        Plot p = Single(set, "accuracy_matrix");
        set.Find("accuracy_matrix")!.Figure.ToSvg();
        Heatmap map = p.GetPlottables<Heatmap>().Single();
        Assert.Equal(9, map.Intensities.Length);
        Assert.Equal(a[2, 1], map.Intensities[2, 1]); // drawn as given
        Assert.Equal((0.0, 1.0), (map.GetRange().Min, map.GetRange().Max));
        Assert.Contains(a[2, 1].ToString("0.00", System.Globalization.CultureInfo.InvariantCulture), p.GetPlottables<Text>().Select(t => t.LabelText));
        Assert.Equal(["T1", "T2", "T3"], p.Axes.Bottom.TickGenerator.Ticks.Select(t => t.Label));
    }
}
