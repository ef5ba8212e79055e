using NtkDynamics.Reporting;
using ScottPlot;

namespace NtkDynamics.Tests.Reporting;

public class LogTicksTests
{
    private static Tick[] For(double lo, double hi, int target) => [.. LogTicks.For(Math.Log10(lo), Math.Log10(hi), target)];

    private static double[] Major(Tick[] t) => [.. t.Where(x => x.IsMajor).Select(x => Math.Round(Math.Pow(10, x.Position), 9))];

    private static string[] Labels(Tick[] t) => [.. t.Where(x => x.IsMajor).Select(x => x.Label)];

    [Fact]
    public void DecadesWithMinorTicksBetween()
    {
        Tick[] t = For(0.0007, 250, 8);
        Assert.Equal([0.001, 0.01, 0.1, 1, 10, 100], Major(t));
        Assert.Equal(["0.001", "0.01", "0.1", "1", "10", "100"], Labels(t));
        Assert.Contains(t, x => !x.IsMajor && Math.Abs(x.Position - Math.Log10(200)) < 1e-9);
        Assert.Contains(t, x => !x.IsMajor && Math.Abs(x.Position - Math.Log10(0.0008)) < 1e-9);
        Assert.All(Labels(t).Zip(Major(t)), p => Assert.Equal(p.Second, SvgDoc.Label(p.First), 1e-9));
    }

    [Fact]
    public void WideRangesSkipDecadesAndUseSuperscripts()
    {
        Assert.Equal(["10⁻⁹", "10⁻⁶", "10⁻³", "10⁰", "10³"], Labels(For(1e-9, 1e3, 5)));
        Assert.Equal(["10⁻⁸", "10⁻⁴", "10⁰"], Labels(For(1e-9, 1e3, 4)));
        // one label style on an axis: 10⁴ next to 10⁵, not 10000.
        Assert.Equal(["10³", "10⁴", "10⁵"], Labels(For(300, 2e5, 4)));
    }

    [Fact]
    public void ShortRangesUseOneTwoFiveMultiples()
    {
        Assert.Equal([2, 5, 10, 20, 50], Major(For(1.5, 60, 5)));
        // two decades in range: 1-2-5 multiples rather than two lone labels.
        Assert.Equal([100, 200, 500, 1000], Major(For(90, 1100, 5)));
        Assert.Equal([1, 10], Major(For(0.9, 11, 2)));
        Assert.Equal([4, 5, 6, 7, 8, 9], Major(For(3.5, 9.5, 4)));
        Assert.Equal([0.1, 0.2], Major(For(0.085, 0.23, 4))); // not 0.09 crowded next to 0.1
        double[] narrow = Major(For(3.1, 3.4, 5));
        Assert.True(narrow.Length >= 2, $"{narrow.Length} ticks on [3.1, 3.4]");
        Assert.All(narrow, v => Assert.InRange(v, 3.1, 3.4));
        Assert.Empty(For(5, 5, 4));
    }

    [Fact]
    public void LabelsUseTheMinusSignAndPowersOfTenForExtremes()
    {
        Assert.Equal("−0.25", LogTicks.Label(-0.25));
        Assert.Equal("3×10⁻⁵", LogTicks.Label(3e-5));
        Assert.Equal("1.5×10⁶", LogTicks.Label(1.5e6));
        Assert.Equal("10⁶", LogTicks.Label(1e6));
        Assert.Equal(1.5e6, SvgDoc.Label(LogTicks.Label(1.5e6)), 1e-3);
    }
}
