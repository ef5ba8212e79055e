using System.Xml.Linq;
using NtkDynamics.Reporting;

namespace NtkDynamics.Tests.Reporting;

public class PanelExtensionsTests
{
    [Fact]
    public void ErrorBarsSpanMeanPlusMinusErrorAndWidenTheYRange()
    {
        var fig = new Figure();
        Panel p = fig.Panel(0, 0);
        p.Line([1, 2, 3], [1, 2, 3], "mean ± SE", markers: true, errors: [0.5, double.NaN, 2]);
        XDocument d = SvgDoc.Parse(fig);
        List<XElement> bars = [.. d.WithClass("errorbar")];
        Assert.Equal(2, bars.Count); // the NaN error draws none
        var yt = d.WithClass("ytick").ToList();
        double Py(double v) => SvgDoc.CentreY(yt[0]) + (v - SvgDoc.Label(yt[0].Value)) / (SvgDoc.Label(yt[^1].Value) - SvgDoc.Label(yt[0].Value))
            * (SvgDoc.CentreY(yt[^1]) - SvgDoc.CentreY(yt[0]));
        Assert.Equal(Py(3 + 2), Math.Min(bars[1].Num("y1"), bars[1].Num("y2")), 0.05);
        Assert.Equal(Py(3 - 2), Math.Max(bars[1].Num("y1"), bars[1].Num("y2")), 0.05);
        // the y axis (its spine) reaches from below 1 - 0.5 to above 3 + 2.
        XElement spine = d.WithClass("axes").Single().Elements(SvgDoc.Ns + "line").First();
        Assert.True(Py(0.5) <= spine.Num("y2") && Py(5) >= spine.Num("y1"), "the error bars are inside the axis range");
        Assert.Throws<ArgumentException>(() => p.Line([1, 2], [1, 2], errors: [1]));
    }

    [Fact]
    public void FixedXTicksAreTheGivenValuesInsideTheAxis()
    {
        var fig = new Figure();
        Panel p = fig.Panel(0, 0);
        p.XScale = Scale.Log;
        p.XTickValues = [16, 64, 256, 4096];
        p.Scatter([16, 64, 256], [1, 2, 3]);
        Assert.Equal(["16", "64", "256"], SvgDoc.Parse(fig).WithClass("xtick").Select(t => t.Value));
    }

    [Fact]
    public void HeatmapDividersFallBetweenCells()
    {
        var fig = new Figure();
        fig.Panel(0, 0).Heatmap(new double[5, 5], dividers: [2, 0, 9]);
        XDocument d = SvgDoc.Parse(fig);
        List<XElement> cells = [.. d.WithClass("cell")];
        List<XElement> lines = [.. d.WithClass("divider")];
        Assert.Equal(2, lines.Count); // 0 and 9 are outside: one vertical and one horizontal line before index 2
        XElement vertical = lines.Single(l => l.Num("x1") == l.Num("x2"));
        Assert.Equal(cells[2].Num("x"), vertical.Num("x1"), 0.01);
        XElement horizontal = lines.Single(l => l.Num("y1") == l.Num("y2"));
        Assert.Equal(cells[2 * 5].Num("y"), horizontal.Num("y1"), 0.01);
    }
}
