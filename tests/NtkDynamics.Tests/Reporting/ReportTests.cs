using System.Text.RegularExpressions;
using System.Xml.Linq;
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
        [.. Regex.Matches(html, "<svg.*?</svg>\n?(?=\n?(<figcaption|</figure>))", RegexOptions.Singleline).Select(m => XDocument.Parse(m.Value))];

    private void AssertRenders(string page, string scratch, Rgb mustShow, string what)
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

    [Fact]
    public void RunReportIsOnePageWithFiguresTablesAndRendersInChromium()
    {
        using var dir = new TempFolder();
        string run = SyntheticRun.Create(32, 4).Write(Path.Combine(dir.Path, "run"));
        ReportOutput result = Reports.Write(run);

        Assert.Equal(Path.Combine(run, "report.html"), result.ReportPath);
        Assert.True(File.Exists(Path.Combine(run, "analysis.json")));
        Assert.Equal(10, result.Figures.Count);
        Assert.All(result.Figures, f => Assert.True(File.Exists(f.SvgPath)));
        if (FileOutput.FindOnPath("rsvg-convert") != null) Assert.All(result.Figures, f => Assert.True(File.Exists(f.PngPath)));
        Assert.Empty(Directory.GetFiles(run, "*.tmp", SearchOption.AllDirectories));

        string html = File.ReadAllText(result.ReportPath);
        Assert.DoesNotMatch(new Regex(@"(src|href)\s*=\s*""(?!#)|@import|url\("), html);
        Assert.Contains("T1→T2", html);
        Assert.Contains("T2→T3", html);
        Assert.Contains("config.yaml", html);
        List<XDocument> figs = Figures(html);
        Assert.Equal(5, figs.Count); // overview, heatmap, spectrum, accuracy matrix, accuracy
        Assert.Equal(6, figs[0].WithClass("panel").Count());
        Assert.Equal(9, figs.Single(f => f.WithClass("heatmap").Any() && f.WithClass("cell").Count() == 9).WithClass("cell").Count());
        AssertRenders(result.ReportPath, dir.Path, Colors.Categorical(0), "the blue metric lines");
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

        string html = File.ReadAllText(result.ReportPath);
        List<XDocument> figs = Figures(html);
        XDocument overview = figs[0];
        // one line per width in every panel, coloured in order, and a colour bar naming the widths.
        Assert.All(overview.WithClass("panel"), p => Assert.Equal(3, p.WithClass("series").Count()));
        List<string> strokes = [.. overview.WithClass("panel").First().WithClass("series").Select(s => (string)s.Element(SvgDoc.Ns + "path")!.Attribute("stroke")!)];
        Assert.Equal([.. Enumerable.Range(0, 3).Select(i => Colors.Sequential(i, 3).Hex)], strokes);
        Assert.Equal(["16", "64", "256"], overview.WithClass("colorbar").First().Descendants(SvgDoc.Ns + "text").Select(t => t.Value).Take(3));
        // the quantities against width: error bars on the mean line, the runs as dots.
        XDocument versus = figs[1];
        Assert.Equal(8, versus.WithClass("panel").Count());
        Assert.Equal(3, versus.WithClass("panel").First().WithClass("errorbar").Count());
        Assert.Equal(["16", "64", "256"], versus.WithClass("panel").First().WithClass("xtick").Select(t => t.Value));
        Assert.Contains("ρ vs model.width", html);
        AssertRenders(result.ReportPath, dir.Path, Colors.Sequential(0, 3), "the darkest sweep line");
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
