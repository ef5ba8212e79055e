using NtkDynamics.Analysis;

namespace NtkDynamics.Tests.Analysis;

public class StatisticsTests
{
    [Fact]
    public void TiesGetAverageRanks() =>
        Assert.Equal([1, 2.5, 2.5, 4, 6, 6, 6], Statistics.AverageRanks([-3, 0.5, 0.5, 2, 7, 7, 7]));

    [Fact]
    public void SpearmanMatchesHandComputedValues()
    {
        // ranks x = 1, 2.5, 2.5, 4 and y = 1, 3, 2, 4: ρ = 4.5 / √(4.5·5).
        (double rho, int n) = Statistics.Spearman([1, 2, 2, 3], [1, 3, 2, 4]);
        // Ranks are exact; a covariance, two variances, a square root and a quotient: under 8 roundings a side.
        Close.Roundings(4.5 / Math.Sqrt(22.5), rho, 8);
        Assert.Equal(4, n);
        // monotone but not linear: ρ = 1; reversed: -1; NaN pairs are dropped.
        Close.Roundings(1, Statistics.Spearman([1, 2, 3, 4, double.NaN], [1, 10, 100, 1000, 5]).Rho, 8);
        Close.Roundings(-1, Statistics.Spearman([1, 2, 3], [9, 4, 1]).Rho, 8);
        Assert.True(double.IsNaN(Statistics.Spearman([1, 1, 1], [1, 2, 3]).Rho));
        Assert.True(double.IsNaN(Statistics.Spearman([1], [2]).Rho));
    }

    [Fact]
    public void MeanStandardErrorAndMedianSkipNaN()
    {
        MeanSe m = Statistics.MeanAndStandardError([1, 2, 3, 6, double.NaN]);
        Assert.Equal(3, m.Mean); // 12 / 4: exact
        Close.Roundings(Math.Sqrt(14.0 / 3 / 4), m.StandardError, 10); // integer deviations, their squares and sum exact; 3 divisions, a root
        Assert.Equal(4, m.N);
        Assert.True(double.IsNaN(Statistics.MeanAndStandardError([5]).StandardError));
        Assert.Equal(0, Statistics.MeanAndStandardError([double.NaN]).N);
        Assert.Equal(2.5, Statistics.Median([4, 1, double.NaN, 3, 2]));
        Assert.Equal(3, Statistics.Median([5, 1, 3]));
    }

    [Fact]
    public void TableAlignsColumnsAndFormatsNumbers()
    {
        var t = new Table(["name", "value"], [["a", 0.012346], ["longer", double.NaN], ["c", 123456.0]]);
        Assert.Equal(["name        value", "------  ---------", "a         0.01235", "longer          —", "c       1.235e+05"], t.ToText().TrimEnd().Split('\n'));
        Assert.Equal(["-0.5", "100", "1e-04", "0"], new[] { -0.5, 100, 1e-4, 0 }.Select(v => Table.Number(v)));
    }
}
