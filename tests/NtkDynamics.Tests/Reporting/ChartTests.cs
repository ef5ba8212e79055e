using System.Xml.Linq;
using NtkDynamics.Reporting;
using ScottPlot;
using ScottPlot.Plottables;

namespace NtkDynamics.Tests.Reporting;

/// <summary>Our marks on ScottPlot plots, read back from the plots and from the SVG ScottPlot writes.</summary>
public class ChartTests
{
    private static Coordinates[] Points(Scatter s) => [.. s.Data.GetScatterPoints()];

    [Fact]
    public void EachLineIsAScatterWithItsLabelAndColourAndTheLegendSitsRightOfTheData()
    {
        var chart = new Chart(1, 2);
        Plot p = chart.Panel(0, 1);
        double[] xs = [.. Enumerable.Range(0, 40).Select(i => (double)i)];
        for (int k = 0; k < 3; k++) p.Line(xs, [.. xs.Select(x => Math.Sin(x / 5 + k))], $"width {16 << (2 * k)}", Look.Sequential(k, 3));
        p.LegendOutside();
        List<Scatter> lines = [.. p.GetPlottables<Scatter>()];
        Assert.Equal(["width 16", "width 64", "width 256"], lines.Select(s => s.LegendText));
        Assert.All(lines, s => Assert.Equal(40, Points(s).Length));
        Assert.Equal(Look.Sequential(2, 3), lines[2].LineColor);
        Assert.Equal(Math.Sin(7 / 5.0 + 1), Points(lines[1])[7].Y); // drawn as given
        Assert.Single(chart.Panels);

        XDocument svg = SvgDoc.Parse(chart);
        Assert.Equal(SvgDoc.Ns + "svg", svg.Root!.Name);
        PixelRect data = p.RenderManager.LastRender.DataRect;
        Assert.True(data.Left >= chart.Width / 2, "the panel is the right-hand cell");
        foreach (string label in new[] { "width 16", "width 64", "width 256" })
            Assert.True(SvgDoc.Texts(svg, label).Single().X > data.Right, $"legend entry {label} is right of the data area");
        Assert.Contains(SvgDoc.Hex(Look.Sequential(0, 3)), SvgDoc.Colours(svg));
    }

    [Fact]
    public void NaNAndInfinityBreakTheLineAndALonePointIsADot()
    {
        Plot p = new Chart().Panel(0, 0);
        IReadOnlyList<Scatter> runs = p.Line([0, 1, 2, 3, 4, 5, 6, 7], [1, 2, double.NaN, 4, 5, double.PositiveInfinity, double.NaN, 8], "loss", Look.Categorical(0));
        Assert.Equal([2, 2, 1], runs.Select(r => Points(r).Length));
        Assert.Equal(["loss", "", ""], runs.Select(r => r.LegendText));
        Assert.Equal(0, runs[0].MarkerSize);
        Assert.True(runs[2].MarkerSize > 0, "a lone point shows as a dot");
        Assert.Empty(new Chart().Panel(0, 0).Line([0, 1], [double.NaN, double.NaN], "nothing", Look.Grey));
        Assert.Throws<ArgumentException>(() => p.Line([1, 2], [1], "bad", Look.Grey));
    }

    [Fact]
    public void LogAxisPlotsLog10DropsNonPositiveValuesWithANoteAndLabelsDecades()
    {
        var chart = new Chart();
        Plot p = chart.Panel(0, 0);
        p.LogY();
        Scatter line = p.Line([0, 1, 2, 3, 4, 5], [0, -1, 1e-3, 1e-2, 1, 100], null, Look.Categorical(0)).Single();
        Assert.Equal([-3, -2, 0, 2], Points(line).Select(c => Math.Round(c.Y, 9)));
        Assert.Equal("2 values ≤ 0 not shown (log axis)", p.GetPlottables<Annotation>().Single().Text);
        XDocument svg = SvgDoc.Parse(chart);
        Assert.Single(SvgDoc.Texts(svg, "2 values ≤ 0 not shown (log axis)"));
        Assert.Equal([0.001, 0.01, 0.1, 1, 10, 100], p.Axes.Left.TickGenerator.Ticks.Where(t => t.IsMajor).Select(t => SvgDoc.Label(t.Label)));
        foreach (string label in new[] { "0.001", "1", "100" }) Assert.NotEmpty(SvgDoc.Texts(svg, label));
    }

    [Fact]
    public void TaskSwitchesAreDashedLinesLabelledAboveTheData()
    {
        var chart = new Chart(1, 3, 1200, 300);
        Plot p = chart.Panel(0, 2);
        p.Line([0, 100, 200, 300], [0.1, 0.5, 0.4, 0.9], "acc", Look.Categorical(0));
        p.Switch(100, "T2");
        p.Switch(200, "T3");
        List<VerticalLine> lines = [.. p.GetPlottables<VerticalLine>()];
        Assert.Equal(["T2", "T3"], lines.Select(v => v.Text));
        Assert.Equal([100.0, 200.0], lines.Select(v => v.X));
        Assert.All(lines, v => Assert.Equal(LinePattern.Dashed, v.LinePattern));
        XDocument svg = SvgDoc.Parse(chart);
        PixelRect data = p.RenderManager.LastRender.DataRect;
        foreach (string label in new[] { "T2", "T3" })
        {
            SvgText t = SvgDoc.Texts(svg, label).Single();
            Assert.True(t.Y < data.Top, $"{label} at y {t.Y} is above the data area (top {data.Top})");
            Assert.InRange(t.X, data.Left, data.Right);
        }
    }

    [Fact]
    public void ErrorBarsSpanMeanPlusMinusErrorAndSkipNaN()
    {
        Plot p = new Chart().Panel(0, 0);
        p.LogX();
        ErrorBar bars = p.ErrorBars([1, 10, 100], [1, 2, 3], [0.5, double.NaN, 2], Look.Grey);
        Assert.Equal([0.0, 2.0], bars.Xs);
        Assert.Equal([1.0, 3.0], bars.Ys);
        Assert.Equal([0.5, 2.0], bars.YErrorPositive!);
        Assert.Equal([0.5, 2.0], bars.YErrorNegative!);
        Plot log = new Chart().Panel(0, 0);
        log.LogY();
        ErrorBar up = log.ErrorBars([1], [10], [90], Look.Grey);
        Assert.Equal(1, up.YErrorPositive![0]); // log10(100) - log10(10) = 2 - 1: exact powers of 10
        Assert.Throws<ArgumentException>(() => p.ErrorBars([1, 2], [1, 2], [1], Look.Grey));
    }

    [Fact]
    public void FixedTicksAndRange()
    {
        Plot p = new Chart().Panel(0, 0);
        p.LogX();
        p.XTicksAt([16, 64, 256, -1]);
        p.Dots([16, 64, 256], [1, 2, 3], null, Look.Grey);
        p.YRange(0, 5);
        p.GetSvgXml(400, 300); // manual ticks are laid out when rendered
        Tick[] ticks = p.Axes.Bottom.TickGenerator.Ticks;
        Assert.Equal(["16", "64", "256"], ticks.Select(t => t.Label));
        Assert.Equal(Math.Log10(64), ticks[1].Position); // the same logarithm
        Assert.Equal((0.0, 5.0), (p.Axes.GetLimits().Bottom, p.Axes.GetLimits().Top));
    }

    [Fact]
    public void HeatmapKeepsItsValuesRowZeroOnTopWithTextDividersAndAColourBar()
    {
        var rng = new NtkDynamics.Tensors.Rng(7);
        var m = new double[4, 6];
        for (int i = 0; i < 4; i++) for (int j = 0; j < 6; j++) m[i, j] = rng.NextDouble() * 3 - 1;
        m[2, 3] = double.NaN;
        var chart = new Chart();
        Plot p = chart.Panel(0, 0);
        Heatmap map = p.Matrix(m, "S(Θs, Θt)", cellFormat: "0.0", dividers: [2, 0, 9]);
        Assert.Same(m, map.Intensities);
        Assert.Equal(Look.Missing, map.NaNCellColor);
        double lo = m.Cast<double>().Where(double.IsFinite).Min(), hi = m.Cast<double>().Where(double.IsFinite).Max();
        Assert.Equal((lo, hi), (map.GetRange().Min, map.GetRange().Max));
        Assert.Equal(Look.Viridis.GetColor(0), map.Colormap.GetColor(lo, map.GetRange()));
        // one text per finite cell, at (column, rows - 1 - row).
        List<Text> texts = [.. p.GetPlottables<Text>()];
        Assert.Equal(23, texts.Count);
        Text first = texts[0];
        Assert.Equal((0.0, 3.0), (first.Location.X, first.Location.Y));
        Assert.Equal(m[0, 0].ToString("0.0", System.Globalization.CultureInfo.InvariantCulture), first.LabelText);
        // dividers before row and column 2 only (0 and 9 are outside).
        Assert.Equal([1.5], p.GetPlottables<VerticalLine>().Select(v => v.X));
        Assert.Equal([1.5], p.GetPlottables<HorizontalLine>().Select(h => h.Y));
        XDocument svg = SvgDoc.Parse(chart);
        Assert.Equal(["0", "1", "2", "3", "4", "5"], p.Axes.Bottom.TickGenerator.Ticks.Select(t => t.Label));
        Assert.Equal(3.0, p.Axes.Left.TickGenerator.Ticks.Single(t => t.Label == "0").Position);
        Assert.Single(SvgDoc.Texts(svg, "S(Θs, Θt)"));
        Assert.Contains(SvgDoc.Hex(Look.Viridis.GetColor(1)), SvgDoc.Colours(svg));
        Assert.Contains(SvgDoc.Hex(Look.Missing), SvgDoc.Colours(svg));
    }

    [Fact]
    public void LargeHeatmapsThinTheirLabelsAndSkipCellText()
    {
        var m = new double[120, 120];
        for (int i = 0; i < 120; i++) for (int j = 0; j < 120; j++) m[i, j] = Math.Abs(i - j);
        Plot p = new Chart().Panel(0, 0);
        p.Matrix(m, null, cellFormat: "0.00");
        p.GetSvgXml(500, 500);
        Assert.Empty(p.GetPlottables<Text>());
        string[] x = [.. p.Axes.Bottom.TickGenerator.Ticks.Select(t => t.Label)];
        Assert.InRange(x.Length, 3, 16);
        Assert.Equal("0", x[0]);
        Assert.InRange(p.Axes.Left.TickGenerator.Ticks.Length, 3, 16);
        Assert.Throws<ArgumentException>(() => p.Matrix(new double[2, 2], null, rowLabels: ["a"]));
    }

    [Fact]
    public void LevelsColourBarNamesOrderedLevelsInTheSeriesColours()
    {
        var chart = new Chart();
        Plot p = chart.Panel(0, 0);
        p.Line([0, 1], [0, 1], "16", Look.Sequential(0, 3));
        ScottPlot.Panels.ColorBar bar = p.Levels("width", ["16", "64", "256"]);
        XDocument svg = SvgDoc.Parse(chart);
        Assert.Contains(bar, p.Axes.GetPanels());
        Assert.Equal("width", bar.Label);
        Assert.Equal(["16", "64", "256"], bar.Axis.TickGenerator.Ticks.Select(t => t.Label));
        for (int i = 0; i < 3; i++) Assert.Equal(Look.Sequential(i, 3), bar.Source.Colormap.GetColor((i + 0.5) / 3));
        Assert.Single(SvgDoc.Texts(svg, "256"));
        Assert.Single(SvgDoc.Texts(svg, "width"));
    }

    [Fact]
    public void ColoursAreOrderedDarkToLightAndCategoriesRepeatAfterTen()
    {
        double[] lightness = [.. Enumerable.Range(0, 6).Select(i => Luminance(Look.Sequential(i, 6)))];
        Assert.All(lightness.Zip(lightness.Skip(1)), p => Assert.True(p.Second > p.First));
        Assert.Equal(Look.Viridis.GetColor(0), Look.Sequential(0, 6));
        Assert.NotEqual(Look.Categorical(0), Look.Categorical(1));
        Assert.Equal(Look.Categorical(0), Look.Categorical(10));
        Assert.Throws<ArgumentOutOfRangeException>(() => Look.Sequential(3, 3));
    }

    /// <summary>Relative luminance (WCAG) of an sRGB colour.</summary>
    private static double Luminance(Color c)
    {
        static double Linear(byte v) => v / 255.0 <= 0.04045 ? v / 255.0 / 12.92 : Math.Pow((v / 255.0 + 0.055) / 1.055, 2.4);
        return 0.2126 * Linear(c.R) + 0.7152 * Linear(c.G) + 0.0722 * Linear(c.B);
    }

    [Fact]
    public void GridCellsTitleAndMisuse()
    {
        var chart = new Chart(2, 2, 900, 700) { Title = "Run 3" };
        Plot lowerRight = chart.Panel(1, 1);
        lowerRight.Labels("loss", "step", "value");
        lowerRight.Line([0, 1], [0, 1], null, Look.Grey);
        Assert.Single(chart.Panels);
        XDocument svg = SvgDoc.Parse(chart);
        PixelRect data = lowerRight.RenderManager.LastRender.DataRect;
        Assert.True(data.Left > 450 && data.Right < 900 && data.Top > 350 && data.Bottom < 700, $"{data} is in the lower-right cell");
        SvgText title = SvgDoc.Texts(svg, "Run 3").Single();
        Assert.True(title.Y < 40, "the figure title is at the top");
        foreach (string label in new[] { "loss", "step", "value" }) Assert.Single(SvgDoc.Texts(svg, label));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Chart(1, 2).Panel(0, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Chart(0, 1));
    }

    [Fact]
    public void SaveWritesSvgAndATwiceAsLargePngAtomically()
    {
        using var dir = new NtkDynamics.Tests.Data.TempFolder();
        var chart = new Chart(1, 1, 300, 200);
        Color red = Color.FromHex("#d62728");
        chart.Panel(0, 0).Line([0, 1, 2], [0, 1, 0], "tent", red);
        SavedFigure saved = chart.Save(Path.Combine(dir.Path, "sub", "tent.svg"));
        Assert.Equal(Path.Combine(dir.Path, "sub", "tent.png"), saved.PngPath);
        XDocument.Load(saved.SvgPath);
        Assert.Empty(Directory.GetFiles(Path.Combine(dir.Path, "sub"), "*.tmp"));
        PngImage png = Png.Decode(File.ReadAllBytes(saved.PngPath));
        Assert.Equal((600, 400), (png.Width, png.Height));
        Assert.InRange(Png.InkFraction(png), 0.01, 0.5);
        Assert.True(Png.HasColour(png, red), "the red series is drawn");
    }
}
