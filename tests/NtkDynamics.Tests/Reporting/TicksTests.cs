using NtkDynamics.Reporting;

namespace NtkDynamics.Tests.Reporting;

public class TicksTests
{
    [Theory]
    [InlineData(10, 5, 2)]
    [InlineData(1, 5, 0.2)]
    [InlineData(0.37, 4, 0.1)]
    [InlineData(730, 6, 100)]
    [InlineData(30, 5, 5)]
    public void NiceStepIsOneTwoFiveTimesAPowerOfTen(double span, int target, double expected) =>
        Assert.Equal(expected, Ticks.NiceStep(span, target), 12);

    [Theory]
    [InlineData(-0.17, 90.9)]
    [InlineData(0.0031, 0.0047)]
    [InlineData(-2.5e6, 7.1e6)]
    [InlineData(0.95, 1.05)]
    public void LinearTicksAreEvenInsideTheRangeAndReadBack(double lo, double hi)
    {
        TickSet t = Ticks.Linear(lo, hi, 5);
        Assert.InRange(t.Major.Count, 3, 11);
        Assert.All(t.Major, v => Assert.InRange(v, lo, hi));
        double step = t.Major[1] - t.Major[0];
        Assert.All(t.Major.Zip(t.Major.Skip(1)), p => Assert.Equal(step, p.Second - p.First, step * 1e-9));
        Assert.True(t.Major[0] - step < lo && t.Major[^1] + step > hi, "ticks cover the range");
        Assert.Equal(t.Labels.Count, t.Labels.Distinct().Count());
        for (int i = 0; i < t.Major.Count; i++)
            Assert.Equal(t.Major[i], SvgDoc.Label(t.Labels[i]), step * 1e-6);
    }

    [Fact]
    public void LogTicksAreDecadesWithMinorTicksBetween()
    {
        TickSet t = Ticks.Log(0.0007, 250, 8);
        Assert.Equal([0.001, 0.01, 0.1, 1, 10, 100], t.Major.Select(v => Math.Round(v, 6)));
        Assert.Equal(["0.001", "0.01", "0.1", "1", "10", "100"], t.Labels);
        Assert.Contains(t.Minor, v => Math.Abs(v - 200) < 1e-9);
        Assert.Contains(t.Minor, v => Math.Abs(v - 0.0008) < 1e-12);
    }

    [Fact]
    public void WideLogRangesSkipDecadesAndUseSuperscripts()
    {
        TickSet t = Ticks.Log(1e-9, 1e3, 5);
        Assert.Equal(["10⁻⁹", "10⁻⁶", "10⁻³", "10⁰", "10³"], t.Labels);
        Assert.Contains(t.Minor, v => Math.Abs(Math.Log10(v) + 8) < 1e-9);
        Assert.Equal(["10⁻⁸", "10⁻⁴", "10⁰"], Ticks.Log(1e-9, 1e3, 4).Labels);
    }

    [Fact]
    public void ShortLogRangesUseOneTwoFiveMultiples()
    {
        TickSet t = Ticks.Log(1.5, 60, 5);
        Assert.Equal([2, 5, 10, 20, 50], t.Major.Select(v => Math.Round(v, 9)));
        // two decades in range: 1-2-5 multiples rather than two lone labels.
        Assert.Equal([100, 200, 500, 1000], Ticks.Log(90, 1100, 5).Major.Select(v => Math.Round(v, 9)));
        Assert.Equal([1, 10], Ticks.Log(0.9, 11, 2).Major.Select(v => Math.Round(v, 9)));
        TickSet narrow = Ticks.Log(3.1, 3.4, 5);
        Assert.True(narrow.Major.Count >= 2);
        Assert.All(narrow.Major, v => Assert.InRange(v, 3.1, 3.4));
    }

    [Fact]
    public void FormatUsesMinusSignAndScientificForExtremes()
    {
        Assert.Equal("−0.25", Ticks.Format(-0.25));
        Assert.Equal("3×10⁻⁵", Ticks.Format(3e-5));
        Assert.Equal("1.5×10⁶", Ticks.Format(1.5e6));
        Assert.Equal(1.5e6, SvgDoc.Label(Ticks.Format(1.5e6)), 1e-3);
    }
}
