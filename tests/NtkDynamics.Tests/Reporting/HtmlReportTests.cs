using System.Text.RegularExpressions;
using System.Xml.Linq;
using NtkDynamics.Reporting;
using Xunit.Abstractions;

namespace NtkDynamics.Tests.Reporting;

public class HtmlReportTests(ITestOutputHelper output)
{
    private static readonly Rgb Red = Rgb.Parse("#d62728");

    private static HtmlReport Sample()
    {
        var fig = new Figure(1, 2, 900, 320);
        Panel p = fig.Panel(0, 0);
        p.Title = "Training loss";
        p.XLabel = "step";
        p.Line([0, 1, 2, 3, 4], [2.3, 1.2, 0.8, 0.7, 0.65], "loss", Red);
        p.VLine(2, "task 2");
        fig.Panel(0, 1).Heatmap(new double[,] { { 0, 1 }, { 2, 3 } }, "distance", "0.0");
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
        Assert.DoesNotMatch(new Regex(@"(src|href)\s*=\s*""(?!#)|@import|url\("), html);
        Assert.Equal(2, Regex.Matches(html, "<h2 ").Count);
        Assert.Contains("<a href=\"#s2\">Results</a>", html);
        Assert.Contains("<td class=\"num\">0.9123</td>", html);
        Assert.Contains("<td class=\"num\">NaN</td>", html);
        Assert.Contains("<td class=\"num\">1.5e−7</td>", html);
        Assert.Contains("<td class=\"num\">300</td>", html);
        Assert.Contains("<figcaption>Loss and kernel distance.</figcaption>", html);
        Assert.Contains("<th>task</th><th class=\"num\">accuracy</th>", html);
        // the inlined figure is well-formed XML.
        int start = html.IndexOf("<svg", StringComparison.Ordinal);
        int end = html.LastIndexOf("</svg>", html.IndexOf("</figure>", StringComparison.Ordinal), StringComparison.Ordinal) + 6;
        Assert.Equal(4, XDocument.Parse(html[start..end]).WithClass("cell").Count());
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
            Assert.True(Png.HasColour(img, Colors.Viridis(1)), "the heatmap's top cell is drawn");
            Assert.True(Png.HasColour(img, Red, 20), "the red loss line is drawn");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
