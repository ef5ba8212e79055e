using System.Xml.Linq;
using NtkDynamics.Reporting;
using Xunit.Abstractions;

namespace NtkDynamics.Tests.Reporting;

public class FigureTests(ITestOutputHelper output)
{
    private static List<XElement> Series(XDocument d) => [.. d.WithClass("series")];

    [Fact]
    public void EachLineIsOnePathWithOnePointPerValueAndALegendEntry()
    {
        var fig = new Figure(1, 2);
        Panel p = fig.Panel(0, 1);
        double[] xs = [.. Enumerable.Range(0, 40).Select(i => (double)i)];
        for (int k = 0; k < 3; k++) p.Line(xs, [.. xs.Select(x => Math.Sin(x / 5 + k))], $"width {16 << (2 * k)}", Colors.Sequential(k, 3));
        p.Line(xs, [.. xs.Select(x => 0.5)], color: Colors.Grey);
        XDocument d = SvgDoc.Parse(fig);

        Assert.Equal(SvgDoc.Ns + "svg", d.Root!.Name);
        List<XElement> series = Series(d);
        Assert.Equal(4, series.Count);
        foreach (XElement s in series)
        {
            var runs = SvgDoc.Runs(s.Element(SvgDoc.Ns + "path")!);
            Assert.Equal(40, Assert.Single(runs).Count);
        }
        Assert.Equal(Colors.Sequential(2, 3).Hex, (string)series[2].Element(SvgDoc.Ns + "path")!.Attribute("stroke")!);
        XElement legend = Assert.Single(d.WithClass("legend"));
        Assert.Equal(["width 16", "width 64", "width 256"], legend.Descendants(SvgDoc.Ns + "text").Select(t => t.Value));
        Assert.Single(d.WithClass("panel"));
    }

    [Fact]
    public void TickLabelsCoverTheDataRangeOnBothAxes()
    {
        var fig = new Figure();
        fig.Panel(0, 0).Scatter([3.2, 40, 87.5], [-12, 0.5, 730]);
        XDocument d = SvgDoc.Parse(fig);
        AssertCovers([.. d.WithClass("xtick").Select(t => SvgDoc.Label(t.Value))], 3.2, 87.5);
        AssertCovers([.. d.WithClass("ytick").Select(t => SvgDoc.Label(t.Value))], -12, 730);
        Assert.Equal(3, Series(d)[0].Elements(SvgDoc.Ns + "circle").Count());
    }

    private static void AssertCovers(double[] ticks, double lo, double hi)
    {
        Assert.True(ticks.Length >= 3, $"only {ticks.Length} ticks");
        double step = ticks[1] - ticks[0];
        Assert.True(ticks[0] <= lo + step && ticks[^1] >= hi - step, $"ticks {string.Join(", ", ticks)} do not cover [{lo}, {hi}]");
        Assert.All(ticks.Zip(ticks.Skip(1)), p => Assert.Equal(step, p.Second - p.First, 1e-9 * Math.Abs(step)));
    }

    [Fact]
    public void DataPointsLandWhereTheTickLabelsSayTheyShould()
    {
        var fig = new Figure(2, 2, 900, 700);
        Panel p = fig.Panel(1, 1);
        p.YScale = Scale.Log;
        double[] xs = [0.7, 3.3, 9.1], ys = [2, 100, 3000];
        p.Line(xs, ys);
        XDocument d = SvgDoc.Parse(fig);
        var pts = SvgDoc.Runs(d.WithClass("series").Single().Element(SvgDoc.Ns + "path")!)[0];
        // pixel position of a data value from the first and last tick labels (linear in x, in log10 y).
        var xt = d.WithClass("xtick").ToList();
        var yt = d.WithClass("ytick").ToList();
        double Px(double x) => Interpolate(x, SvgDoc.Label(xt[0].Value), xt[0].Num("x"), SvgDoc.Label(xt[^1].Value), xt[^1].Num("x"));
        double Py(double y) => Interpolate(Math.Log10(y), Math.Log10(SvgDoc.Label(yt[0].Value)), SvgDoc.CentreY(yt[0]),
            Math.Log10(SvgDoc.Label(yt[^1].Value)), SvgDoc.CentreY(yt[^1]));
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(Px(xs[i]), pts[i].X, 0.05);
            Assert.Equal(Py(ys[i]), pts[i].Y, 0.05);
        }
        // the lower-right panel of a 2x2 grid.
        Assert.All(pts, q => Assert.True(q.X > 450 && q.X < 900 && q.Y > 350 && q.Y < 700));
    }

    private static double Interpolate(double v, double v0, double p0, double v1, double p1) => p0 + (v - v0) / (v1 - v0) * (p1 - p0);

    [Fact]
    public void AxisMapsLinearlyAndLogarithmically()
    {
        var lin = new Axis(Scale.Linear, -1, 3, 100, 500);
        Assert.Equal(100, lin.ToPixel(-1), 9);
        Assert.Equal(300, lin.ToPixel(1), 9);
        var log = new Axis(Scale.Log, 0.01, 100, 400, 0);
        Assert.Equal(200, log.ToPixel(1), 9);
        Assert.Equal(300, log.ToPixel(0.1), 9);
        Assert.Equal((0.9, 1.1), Axis.Limits([1, double.NaN, 1], Scale.Linear, 0, null, null) is var (a, b) ? (Math.Round(a, 9), Math.Round(b, 9)) : default);
        Assert.Throws<ArgumentException>(() => Axis.Limits([1, 2], Scale.Linear, 0, 5, 3));
    }

    [Fact]
    public void NaNAndInfinityBreakTheLineAndALonePointBecomesADot()
    {
        var fig = new Figure();
        fig.Panel(0, 0).Line([0, 1, 2, 3, 4, 5, 6, 7], [1, 2, double.NaN, 4, 5, double.PositiveInfinity, double.NaN, 8], "loss");
        XElement s = Series(SvgDoc.Parse(fig)).Single();
        var runs = SvgDoc.Runs(s.Element(SvgDoc.Ns + "path")!);
        Assert.Equal([2, 2, 1], runs.Select(r => r.Count));
        Assert.Single(s.Elements(SvgDoc.Ns + "circle"));

        var empty = new Figure();
        empty.Panel(0, 0).Line([0, 1], [double.NaN, double.NaN], "nothing");
        Assert.Null(Series(SvgDoc.Parse(empty)).Single().Element(SvgDoc.Ns + "path"));
    }

    [Fact]
    public void LogAxisDropsNonPositiveValuesWithANoteAndShowsDecades()
    {
        var fig = new Figure();
        Panel p = fig.Panel(0, 0);
        p.YScale = Scale.Log;
        p.Line([0, 1, 2, 3, 4, 5], [0, -1, 1e-3, 1e-2, 1, 100]);
        Assert.Equal(2, p.DroppedNonPositive);
        XDocument d = SvgDoc.Parse(fig);
        Assert.Contains("2 values ≤ 0", d.WithClass("note").Single().Value);
        Assert.Equal(4, SvgDoc.Runs(Series(d).Single().Element(SvgDoc.Ns + "path")!).Single().Count);
        double[] decades = [.. d.WithClass("ytick").Select(t => Math.Log10(SvgDoc.Label(t.Value)))];
        Assert.Equal([-3, -2, -1, 0, 1, 2], decades.Select(v => Math.Round(v)));
    }

    [Fact]
    public void ReferenceLinesShadesAndColourBarAreDrawn()
    {
        var fig = new Figure(1, 3, 1200, 300);
        Panel p = fig.Panel(0, 2); // far right, so x and y pixel ranges do not overlap
        p.Line([0, 100, 200, 300], [0.1, 0.5, 0.4, 0.9], "acc");
        p.VLine(100, "task 2");
        p.VLine(200, "task 3");
        p.HLine(0.5, "chance");
        p.ShadeX(100, 200, "task 2 epochs");
        p.ColorBar("width", ["16", "64", "256"]);
        XDocument d = SvgDoc.Parse(fig);
        Assert.Equal(2, d.WithClass("vline").Count());
        Assert.Equal(["task 2", "task 3"], d.WithClass("vline-label").Select(t => t.Value));
        Assert.Equal("chance", d.WithClass("hline-label").Single().Value);
        XElement shade = d.WithClass("shade").Single();
        XElement x100 = d.WithClass("xtick").Single(t => t.Value == "100"), x200 = d.WithClass("xtick").Single(t => t.Value == "200");
        Assert.Equal(x100.Num("x"), shade.Num("x"), 0.02);
        Assert.Equal(x200.Num("x") - x100.Num("x"), shade.Num("width"), 0.03);
        XElement bar = d.WithClass("colorbar").Single();
        Assert.Equal(["16", "64", "256", "width"], bar.Elements(SvgDoc.Ns + "text").Select(t => t.Value));
        Assert.Equal(Colors.Sequential(0, 3).Hex, (string)bar.Elements(SvgDoc.Ns + "rect").First().Attribute("fill")!);
        Assert.Equal(["acc", "task 2 epochs"], d.WithClass("legend").Single().Descendants(SvgDoc.Ns + "text").Select(t => t.Value));
    }

    [Fact]
    public void AutoLegendAvoidsTheData()
    {
        var fig = new Figure();
        Panel p = fig.Panel(0, 0);
        double[] xs = [.. Enumerable.Range(0, 50).Select(i => (double)i)];
        p.Line(xs, [.. xs.Select(x => x)], "rising"); // fills the upper right and lower left
        XDocument d = SvgDoc.Parse(fig);
        XElement box = d.WithClass("legend").Single().Element(SvgDoc.Ns + "rect")!;
        var pts = SvgDoc.Runs(Series(d).Single().Element(SvgDoc.Ns + "path")!)[0];
        double midX = (pts[0].X + pts[^1].X) / 2, midY = (pts[0].Y + pts[^1].Y) / 2;
        Assert.True(box.Num("x") < midX && box.Num("y") < midY, "legend should sit in the empty upper-left corner");
    }

    [Fact]
    public void BarsAndStemsStartAtTheBaseline()
    {
        var fig = new Figure(1, 2);
        Panel bars = fig.Panel(0, 0);
        bars.Bars([1, 2, 3, 4, 5], [5, 4, 3, 2, 1], "λ");
        Panel stems = fig.Panel(0, 1);
        stems.YScale = Scale.Log;
        stems.Stems([1, 2, 3], [100, 10, 1]);
        XDocument d = SvgDoc.Parse(fig);
        List<XElement> s = Series(d);
        var rects = s[0].Elements(SvgDoc.Ns + "rect").ToList();
        Assert.Equal(5, rects.Count);
        double bottom = rects[0].Num("y") + rects[0].Num("height");
        Assert.All(rects, r => Assert.Equal(bottom, r.Num("y") + r.Num("height"), 0.02));
        Assert.Equal(5 * rects[4].Num("height"), rects[0].Num("height"), 0.1);
        XElement zero = d.WithClass("ytick").First(t => t.Value == "0");
        Assert.Equal(SvgDoc.CentreY(zero), bottom, 0.02);
        var stemLines = s[1].Elements(SvgDoc.Ns + "line").ToList();
        Assert.Equal(3, stemLines.Count);
        Assert.Equal(3, s[1].Elements(SvgDoc.Ns + "circle").Count());
        Assert.Single(stemLines.Select(l => l.Num("y1")).Distinct());
    }

    [Fact]
    public void HeatmapHasOneCellPerEntryColouredInValueOrder()
    {
        var rng = new NtkDynamics.Tensors.Rng(7);
        var m = new double[4, 6];
        for (int i = 0; i < 4; i++) for (int j = 0; j < 6; j++) m[i, j] = rng.NextDouble() * 3 - 1;
        m[2, 3] = double.NaN;
        var fig = new Figure();
        fig.Panel(0, 0).Heatmap(m, "S(Θs, Θt)", "0.0");
        XDocument d = SvgDoc.Parse(fig);
        var cells = d.WithClass("cell").ToList();
        Assert.Equal(24, cells.Count);
        Assert.Equal(23, d.WithClass("cell-text").Count());
        var finite = cells.Where(c => (string)c.Attribute("data-value")! != "NaN").OrderBy(c => c.Num("data-value")).ToList();
        double[] lum = [.. finite.Select(c => Rgb.Parse((string)c.Attribute("fill")!).Luminance)];
        Assert.All(lum.Zip(lum.Skip(1)), p => Assert.True(p.Second >= p.First, "colours must follow value order"));
        Assert.Equal(Colors.Viridis(0).Hex, (string)finite[0].Attribute("fill")!);
        Assert.Equal(Colors.Viridis(1).Hex, (string)finite[^1].Attribute("fill")!);
        // row 0 on top: cell (0, 0) above cell (1, 0), cell (0, 1) right of it.
        Assert.True(cells[0].Num("y") < cells[6].Num("y") && cells[0].Num("x") < cells[1].Num("x"));
        Assert.Equal(6, d.WithClass("xtick").Count());
        Assert.Equal("S(Θs, Θt)", d.WithClass("colorbar").Single().Elements(SvgDoc.Ns + "text").Last().Value);
    }

    [Fact]
    public void LargeHeatmapsThinTheirLabelsAndSkipCellText()
    {
        var m = new double[120, 120];
        for (int i = 0; i < 120; i++) for (int j = 0; j < 120; j++) m[i, j] = Math.Abs(i - j);
        var fig = new Figure();
        fig.Panel(0, 0).Heatmap(m, cellFormat: "0.00");
        XDocument d = SvgDoc.Parse(fig);
        Assert.Equal(120 * 120, d.WithClass("cell").Count());
        Assert.Empty(d.WithClass("cell-text"));
        var xt = d.WithClass("xtick").Select(t => t.Value).ToList();
        Assert.InRange(xt.Count, 3, 15);
        Assert.Equal("0", xt[0]);
        Assert.InRange(d.WithClass("ytick").Count(), 3, 30);
    }

    [Fact]
    public void SequentialColoursDarkToLightInOrder()
    {
        double[] lum = [.. Enumerable.Range(0, 6).Select(i => Colors.Sequential(i, 6).Luminance)];
        Assert.All(lum.Zip(lum.Skip(1)), p => Assert.True(p.Second > p.First));
        Assert.Equal(Colors.Viridis(0), Colors.Sequential(0, 6));
        Assert.NotEqual(Colors.Categorical(0), Colors.Categorical(1));
        Assert.Equal(Colors.Categorical(0), Colors.Categorical(10));
    }

    [Fact]
    public void MisuseIsRejected()
    {
        Panel p = new Figure().Panel(0, 0);
        Assert.Throws<ArgumentException>(() => p.Line([1, 2], [1]));
        p.Line([1, 2], [1, 2]);
        Assert.Throws<InvalidOperationException>(() => p.Heatmap(new double[2, 2]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Figure(1, 2).Panel(0, 2));
    }

    [Fact]
    public void SaveWritesSvgAtomicallyAndAPngWhenRsvgConvertIsThere()
    {
        string dir = Path.Combine(Path.GetTempPath(), "ntk-fig-" + Guid.NewGuid().ToString("N"));
        try
        {
            var fig = new Figure(1, 1, 300, 200);
            fig.Panel(0, 0).Line([0, 1, 2], [0, 1, 0], "tent", Rgb.Parse("#d62728"));
            SavedFigure saved = fig.Save(Path.Combine(dir, "sub", "tent.svg"));
            XDocument.Load(saved.SvgPath);
            Assert.Empty(Directory.GetFiles(Path.Combine(dir, "sub"), "*.tmp"));
            if (saved.PngPath is null)
            {
                Assert.Null(NtkDynamics.Reporting.FileOutput.FindOnPath("rsvg-convert"));
                output.WriteLine($"PNG skipped: {saved.PngSkipped}");
                return;
            }
            PngImage png = Png.Decode(File.ReadAllBytes(saved.PngPath));
            Assert.Equal((600, 400), (png.Width, png.Height));
            Assert.InRange(Png.InkFraction(png), 0.01, 0.5);
            Assert.True(Png.HasColour(png, Rgb.Parse("#d62728")), "the red series is rendered");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
