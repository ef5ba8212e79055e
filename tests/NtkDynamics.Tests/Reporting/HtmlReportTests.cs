using System.Text.RegularExpressions;
using System.Xml.Linq;
using NtkDynamics.Reporting;
using Xunit.Abstractions;

namespace NtkDynamics.Tests.Reporting;

public class HtmlReportTests(ITestOutputHelper output)
{
    private static readonly ScottPlot.Color Red = ScottPlot.Color.FromHex("#d62728");

    private static HtmlReport Sample()
    {
        var fig = new Chart(1, 2, 900, 320);
        ScottPlot.Plot p = fig.Panel(0, 0);
        p.Labels("Training loss", "step", null);
        p.Line([0, 1, 2, 3, 4], [2.3, 1.2, 0.8, 0.7, 0.65], "loss", Red);
        p.Switch(2, "task 2");
        fig.Panel(0, 1).Matrix(new double[,] { { 0, 1 }, { 2, 3 } }, "distance", cellFormat: "0.0");
        return new HtmlReport("Run <3> & co", "cnn, width 64")
            .Section("Configuration")
            .KeyValues([new("model", "cnn"), new("lr", "0.05")])
            .Section("Results")
            .Figure(fig, "Loss and kernel distance.")
            .Table(["task", "accuracy", "steps"], [["T1", 0.91234567, 100], ["T2", double.NaN, 200], ["T3", 1.5e-7, 300]], "Final accuracy")
            .Preformatted("ntk run experiment.yaml\n  <done>");
    }

    [Fact]
    public void ReportIsSelfContainedAndEscaped()
    {
        string html = Sample().ToHtml();
        Assert.StartsWith("<!DOCTYPE html>", html);
        Assert.Contains("<title>Run &lt;3&gt; &amp; co</title>", html);
        Assert.Contains("<pre>ntk run experiment.yaml\n  &lt;done&gt;</pre>", html);
        Assert.DoesNotMatch(new Regex(@"(src|href)\s*=\s*""(?!#|data:image/png;base64,)|@import|url\((?!#)"), html);
        Assert.Equal(2, Regex.Matches(html, "<h2 ").Count);
        Assert.Contains("<a href=\"#s2\">Results</a>", html);
        Assert.Contains("<td class=\"num\">0.9123</td>", html);
        Assert.Contains("<td class=\"num\">NaN</td>", html);
        Assert.Contains("<td class=\"num\">1.5e−7</td>", html);
        Assert.Contains("<td class=\"num\">300</td>", html);
        Assert.Contains("<figcaption>Loss and kernel distance.</figcaption>", html);
        Assert.Contains("<th>task</th><th class=\"num\">accuracy</th>", html);
        // the inlined figure is well-formed XML with its labels and cell values.
        int start = html.IndexOf("<svg", StringComparison.Ordinal);
        int end = html.LastIndexOf("</svg>", html.IndexOf("</figure>", StringComparison.Ordinal), StringComparison.Ordinal) + 6;
        List<string> texts = [.. SvgDoc.Texts(XDocument.Parse(html[start..end])).Select(t => t.Text)];
        foreach (string t in new[] { "Training loss", "step", "task 2", "distance", "0.0", "1.0", "2.0", "3.0" }) Assert.Contains(t, texts);
        Assert.Throws<ArgumentException>(() => new HtmlReport("x").Table(["a", "b"], [["only one"]]));
    }

    [Fact]
    public void ReportRendersInHeadlessChromium()
    {
        string dir = Path.Combine(Path.GetTempPath(), "ntk-report-" + Guid.NewGuid().ToString("N"));
        try
        {
            string page = Path.Combine(dir, "report.html");
            Sample().Save(page);
            Assert.Contains("<svg", File.ReadAllText(page));
            Assert.Empty(Directory.GetFiles(dir, "*.tmp"));
            string? chromium = Chromium.Find();
            if (chromium is null)
            {
                output.WriteLine("chromium not found on PATH: skipped rendering the report");
                return;
            }
            PngImage img = Chromium.Screenshot(chromium, page, Path.Combine(dir, "shot.png"), dir);
            Assert.Equal((1200, 1600), (img.Width, img.Height));
            double ink = Png.InkFraction(img);
            int colours = Png.DistinctColours(img);
            output.WriteLine($"screenshot: {ink:P1} non-white pixels, {colours} distinct colours");
            Assert.InRange(ink, 0.01, 0.9);
            Assert.True(colours >= 20, $"only {colours} distinct colours");
            Assert.True(Png.HasColour(img, Look.Viridis.GetColor(1)), "the heatmap's top cell is drawn");
            Assert.True(Png.HasColour(img, Red, 20), "the red loss line is drawn");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
