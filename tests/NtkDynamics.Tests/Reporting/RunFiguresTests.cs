using System.Xml.Linq;
using NtkDynamics.Analysis;
using NtkDynamics.Experiments;
using NtkDynamics.Reporting;
using NtkDynamics.Tests.Analysis;
using NtkDynamics.Tests.Data;
using Xunit.Abstractions;

namespace NtkDynamics.Tests.Reporting;

public class RunFiguresTests(ITestOutputHelper output)
{
    private static XDocument Svg(FigureSet set, string name) => XDocument.Parse(set.Find(name)!.Figure.ToSvg());

    [Fact]
    public void PanelsShowEveryMeasurementWithTaskSwitchesAndLogAxes()
    {
        using var dir = new TempFolder();
        RunData run = RunData.Load(SyntheticRun.Create(64, 1).Write(dir.Path));
        FigureSet set = RunFigures.Build(run);
        Assert.Empty(set.Notes);
        Assert.Equal(["overview", "lambda_max", "kernel_distance", "velocity", "alignment", "loss", "accuracy", "kernel_heatmap", "accuracy_matrix", "spectrum"],
            set.Figures.Select(f => f.Name));

        XDocument overview = Svg(set, "overview");
        Assert.Equal(6, overview.WithClass("panel").Count());
        Assert.Equal(6 * 2, overview.WithClass("vline").Count());

        XDocument lambda = Svg(set, "lambda_max");
        var runs = SvgDoc.Runs(lambda.WithClass("series").Single().Element(SvgDoc.Ns + "path")!);
        Assert.Equal(61, Assert.Single(runs).Count);
        Assert.Equal(["T2", "T3"], lambda.WithClass("vline-label").Select(t => t.Value));
        double[] yTicks = [.. lambda.WithClass("ytick").Select(t => SvgDoc.Label(t.Value))];
        double lo = run.Measurements.Min(m => m.LambdaMax), hi = run.Measurements.Max(m => m.LambdaMax);
        Assert.All(yTicks, v => Assert.True(v > 0));
        Assert.True(yTicks.Min() <= hi && yTicks.Max() >= lo, $"y ticks {string.Join(", ", yTicks)} miss [{lo}, {hi}]");
        double[] xTicks = [.. lambda.WithClass("xtick").Select(t => SvgDoc.Label(t.Value))];
        Assert.Equal(0, xTicks.Min());
        Assert.Equal(600, xTicks.Max());
        output.WriteLine($"λmax {lo:G4}..{hi:G4}, y ticks {string.Join(", ", yTicks)}");

        // velocity is undefined at step 0: the line starts at the second measurement.
        var v = SvgDoc.Runs(Svg(set, "velocity").WithClass("series").Single().Element(SvgDoc.Ns + "path")!);
        Assert.Equal(60, Assert.Single(v).Count);

        XDocument acc = Svg(set, "accuracy");
        Assert.Equal(["T1", "T2", "T3"], acc.WithClass("legend").Single().Descendants(SvgDoc.Ns + "text").Select(t => t.Value));
    }

    [Fact]
    public void HeatmapIsSubsampledEvenlyAndHasZeroDiagonal()
    {
        using var dir = new TempFolder();
        RunData run = RunData.Load(SyntheticRun.Create(16, 2).Write(dir.Path));
        XDocument full = Svg(RunFigures.Build(run), "kernel_heatmap");
        Assert.Equal(61 * 61, full.WithClass("cell").Count());
        Assert.Equal(4, full.WithClass("divider").Count());

        XDocument small = Svg(RunFigures.Build(run, new FigureOptions(MaxHeatmapKernels: 20)), "kernel_heatmap");
        List<XElement> cells = [.. small.WithClass("cell")];
        Assert.Equal(400, cells.Count);
        for (int i = 0; i < 20; i++) Assert.Equal(0, cells[i * 20 + i].Num("data-value"));
        // the off-diagonal values are the library's kernel distances between the chosen measurements.
        KernelDistanceMatrix m = KernelDistanceMatrix.FromRun(run, 20)!;
        Assert.Equal([0, 600], new[] { m.Measurements[0].Step, m.Measurements[^1].Step });
        Assert.Equal(m.Measurements[^1].KernelDistanceInit, m.Distances[0, 19], 9);
        Assert.Equal(m.Distances[0, 19], cells[19].Num("data-value"), 9);
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
        XDocument spectrum = Svg(set, "spectrum");
        Assert.Equal(3, spectrum.WithClass("series").Count()); // step 0, the switch, the end
        Assert.All(spectrum.WithClass("series"), s => Assert.Equal(5, s.Elements(SvgDoc.Ns + "circle").Count()));
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
        List<XElement> cells = [.. Svg(RunFigures.Build(run), "accuracy_matrix").WithClass("cell")];
        Assert.Equal(9, cells.Count);
        Assert.Equal(a[2, 1], cells[7].Num("data-value"), 12);
    }
}
