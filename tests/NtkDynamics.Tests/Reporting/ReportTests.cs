using System.Text.RegularExpressions;
using System.Xml.Linq;
using NtkDynamics.Analysis;
using NtkDynamics.Cli;
using NtkDynamics.Reporting;
using NtkDynamics.Tests.Analysis;
using NtkDynamics.Tests.Data;
using Xunit.Abstractions;

namespace NtkDynamics.Tests.Reporting;

public class ReportTests(ITestOutputHelper output)
{
    /// <summary>The inline SVG figures of a page, parsed.</summary>
    private static List<XDocument> Figures(string html) =>
        [.. Regex.Matches(html, "<svg.*?</svg>\\s*(?=<figcaption|</figure>)", RegexOptions.Singleline).Select(m => XDocument.Parse(m.Value))];

    private void AssertRenders(string page, string scratch, ScottPlot.Color mustShow, string what)
    {
        string? chromium = Chromium.Find();
        if (chromium is null)
        {
            output.WriteLine("chromium not found on PATH: skipped rendering the report");
            return;
        }
        PngImage img = Chromium.Screenshot(chromium, page, Path.Combine(scratch, "shot.png"), scratch);
        double ink = Png.InkFraction(img);
        int colours = Png.DistinctColours(img);
        output.WriteLine($"{page}: {ink:P1} non-white pixels, {colours} distinct colours");
        Assert.InRange(ink, 0.02, 0.9);
        Assert.True(colours >= 30, $"only {colours} distinct colours");
        Assert.True(Png.HasColour(img, mustShow, 12), $"{what} ({mustShow}) is not on the screen");
    }

    private static List<string> Texts(XDocument svg) => [.. SvgDoc.Texts(svg).Select(t => t.Text)];

    [Fact]
    public void RunReportIsOnePageWithFiguresTablesAndRendersInChromium()
    {
        using var dir = new TempFolder();
        string run = SyntheticRun.Create(32, 4).Write(Path.Combine(dir.Path, "run"));
        ReportOutput result = Reports.Write(run);

        Assert.Equal(Path.Combine(run, "report.html"), result.ReportPath);
        Assert.True(File.Exists(Path.Combine(run, "analysis.json")));
        Assert.Equal(10, result.Figures.Count);
        Assert.All(result.Figures, f => Assert.True(File.Exists(f.SvgPath) && File.Exists(f.PngPath), f.SvgPath));
        Assert.Empty(Directory.GetFiles(run, "*.tmp", SearchOption.AllDirectories));

        string html = File.ReadAllText(result.ReportPath);
        Assert.DoesNotMatch(new Regex(@"(src|href)\s*=\s*""(?!#|data:image/png;base64,)|@import|url\((?!#)"), html);
        Assert.Contains("T1→T2", html);
        Assert.Contains("T2→T3", html);
        Assert.Contains("config.yaml", html);
        List<XDocument> figs = Figures(html);
        Assert.Equal(5, figs.Count); // overview, heatmap, spectrum, accuracy matrix, accuracy
        List<string> overview = Texts(figs[0]);
        foreach (string title in new[] { "Largest eigenvalue λmax", "Kernel distance from initialisation", "Kernel velocity", "Kernel-label alignment", "Training loss", "Test accuracy per task" })
            Assert.Contains(title, overview);
        Assert.Equal(6 * 2 + 2, overview.Count(t => t is "T2" or "T3")); // the switch labels, and the accuracy panel's legend
        Assert.Contains("S(Θₛ, Θₜ)", Texts(figs[1]));
        // clip-path ids are unique across the page, and every reference finds its own figure's.
        List<string> ids = [.. Regex.Matches(html, @"\bid=""([^""]+)""").Select(m => m.Groups[1].Value)];
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.All(Regex.Matches(html, @"url\(#([^)]+)\)").Select(m => m.Groups[1].Value), id => Assert.Contains(id, ids));
        AssertRenders(result.ReportPath, dir.Path, Look.Categorical(0), "the blue metric lines");
    }

    [Fact]
    public void SweepReportOverlaysTheRunsAndRendersInChromium()
    {
        using var dir = new TempFolder();
        string sweep = SyntheticRun.WriteSweep(Path.Combine(dir.Path, "sweep"), [16, 64, 256], 2, tasks: 2);
        ReportOutput result = Reports.Write(sweep);
        Assert.Equal(Path.Combine(sweep, "analysis.json"), result.AnalysisPath);
        Assert.All(Directory.GetDirectories(sweep).Where(d => Path.GetFileName(d) != "figures"),
            d => Assert.True(File.Exists(Path.Combine(d, "analysis.json")), d));
        Assert.Contains("switch_vs_model.width", result.Figures.Select(f => Path.GetFileNameWithoutExtension(f.SvgPath)));

        // one line per width in every panel, coloured in order, and a colour bar naming the widths.
        FigureSet set = SweepFigures.Build(SweepAnalysis.Analyze(SweepData.Load(sweep), new SwitchOptions()));
        IReadOnlyList<ScottPlot.Plot> panels = set.Find("overview")!.Figure.Panels;
        set.Find("overview")!.Figure.ToSvg(); // manual ticks are laid out when rendered
        Assert.Equal(6, panels.Count);
        foreach (ScottPlot.Plot p in panels)
        {
            List<ScottPlot.Plottables.Scatter> lines = [.. p.GetPlottables<ScottPlot.Plottables.Scatter>().Where(s => s.LegendText.Length > 0)];
            Assert.Equal(["16", "64", "256"], lines.Select(s => s.LegendText));
            Assert.Equal([.. Enumerable.Range(0, 3).Select(i => Look.Sequential(i, 3))], lines.Select(s => s.LineColor));
            Assert.Equal(["16", "64", "256"], p.Axes.GetPanels().OfType<ScottPlot.Panels.ColorBar>().Single().Axis.TickGenerator.Ticks.Select(t => t.Label));
            Assert.Equal(["T2"], p.GetPlottables<ScottPlot.Plottables.VerticalLine>().Select(v => v.Text));
        }
        // the quantities against width: the runs as dots, the mean ± SE with error bars, the widths as x ticks.
        IReadOnlyList<ScottPlot.Plot> versus = set.Find("switch_vs_model.width")!.Figure.Panels;
        set.Find("switch_vs_model.width")!.Figure.ToSvg();
        Assert.Equal(SwitchQuantity.Headlines.Count, versus.Count);
        Assert.Equal(3, versus[0].GetPlottables<ScottPlot.Plottables.ErrorBar>().Single().Xs.Count);
        Assert.Equal(["16", "64", "256"], versus[0].Axes.Bottom.TickGenerator.Ticks.Select(t => t.Label));
        Assert.True(versus[0].IsLogX());

        string html = File.ReadAllText(result.ReportPath);
        List<XDocument> figs = Figures(html);
        List<string> overviewTexts = Texts(figs[0]);
        Assert.Equal(6, overviewTexts.Count(t => t == "256"));
        Assert.Contains(SvgDoc.Hex(Look.Sequential(0, 3)), SvgDoc.Colours(figs[0]));
        Assert.Contains("ρ vs model.width", html);
        Assert.DoesNotContain(result.Figures, f => Path.GetFileName(f.SvgPath).StartsWith("strategies_"));
        AssertRenders(result.ReportPath, dir.Path, Look.Sequential(0, 3), "the darkest sweep line");
    }

    [Fact]
    public void AStrategySweepGetsAPanelPerStrategy()
    {
        using var dir = new TempFolder();
        string sweep = NtkDynamics.Tests.Analysis.SweepAnalysisTests.WriteStrategySweep(Path.Combine(dir.Path, "sweep"));
        ReportOutput result = Reports.Write(sweep);
        string[] names = ["strategies_accuracy", "strategies_velocity", "strategies_lambda", "strategies_old_task_drift", "strategies_switch"];
        Assert.All(names, n => Assert.Contains(n, result.Figures.Select(f => Path.GetFileNameWithoutExtension(f.SvgPath))));

        FigureSet set = SweepFigures.Build(SweepAnalysis.Analyze(SweepData.Load(sweep), new SwitchOptions()));
        // the strategies in the order the config lists kinds: fine-tuning first
        Assert.Equal(["finetune", "er"], set.Find("strategies_accuracy")!.Figure.Panels.Select(p => p.Axes.Title.Label.Text));
        var matrix = set.Find("strategies_accuracy")!.Figure.Panels[1].GetPlottables<ScottPlot.Plottables.Heatmap>().Single().Intensities;
        Close.Roundings(0.45, matrix[1, 0], 16, 1.2); // er's runs end task 1 at 0.5, 0.45 and 0.4 (0.5 - 0.05 idx): a mean of 3, as in SweepAnalysisTests
        var drift = set.Find("strategies_old_task_drift")!.Figure.Panels[0].GetPlottables<ScottPlot.Plottables.Scatter>().ToList();
        Assert.NotEmpty(drift);
        Chart switches = set.Find("strategies_switch")!.Figure;
        switches.ToSvg();
        Assert.Equal(5, switches.Panels.Count);
        Assert.All(switches.Panels, p => Assert.Equal(["finetune", "er"], p.Axes.Left.TickGenerator.Ticks.OrderByDescending(t => t.Position).Select(t => t.Label)));
        Assert.Equal(2, switches.Panels[4].GetPlottables<ScottPlot.Plottables.ErrorBar>().Single().Xs.Count);
        string html = File.ReadAllText(result.ReportPath);
        Assert.Contains(">Strategies</h2>", html);
        Assert.Contains("ρ(S_old, acc_drop)", html);
        Assert.Contains("avg acc", html);
    }

    [Fact]
    public void FiguresWithDashedLinesPrintNothingOnStderr()
    {
        using var dir = new TempFolder();
        // a dashed fit line, then the next depth's dots: Skia's SVG writer warns on stderr about the dots (ScottPlot's paint
        // still carries the dash) unless it is silenced.
        var (stdout, stderr) = NtkDynamics.Tests.Experiments.NtkProcess.Run("theory", "convergence", "--widths", "16,32", "--seeds", "1",
            "--depths", "2,3", "--points", "4", "--out", dir.Path);
        Assert.Contains("convergence.png", stdout);
        Assert.Equal("", stderr);
        Assert.True(File.Exists(Path.Combine(dir.Path, "convergence.svg")));
    }

    [Fact]
    public void CliAnalyzeAndReportExitZeroAndBadInputExitsTwo()
    {
        using var dir = new TempFolder();
        string run = SwitchAnalysisTests.Known().Write(Path.Combine(dir.Path, "run"));
        Assert.Equal(0, Commands.Run(["analyze", run, "--window", "50"]));
        Assert.Contains("\"window_steps\": 50", File.ReadAllText(Path.Combine(run, "analysis.json")));
        Assert.Equal(0, Commands.Run(["report", run, "--epochs", "--spectrum-steps", "0,150"]));
        Assert.True(File.Exists(Path.Combine(run, "report.html")));
        Assert.Equal(2, Commands.Run(["analyze", Path.Combine(dir.Path, "missing")]));
        Assert.Equal(2, Commands.Run(["analyze", dir.Path]));
        Assert.Equal(2, Commands.Run(["analyze", run, "--late-fraction", "1.5"]));
        Assert.Equal(2, Commands.Run(["report", run, "--spectrum-steps", "0,x"]));
    }
}
