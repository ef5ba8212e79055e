namespace NtkDynamics.Analysis;

/// <summary>Mean ± standard error of a sample: N counts the finite values only.</summary>
public readonly record struct MeanSe(double Mean, double StandardError, int N);

/// <summary>Small statistics over samples; NaN values are left out (they mark "not measured").</summary>
public static class Statistics
{
    /// <summary>The median of the finite values (mean of the middle two for an even count); NaN when there are none.</summary>
    public static double Median(IEnumerable<double> values)
    {
        double[] v = [.. values.Where(double.IsFinite).Order()];
        if (v.Length == 0) return double.NaN;
        return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }

    /// <summary>Mean and standard error s/√n (s the sample standard deviation, n - 1 in the denominator) of the finite
    /// values; the error is NaN for fewer than two values, both are NaN for none.</summary>
    public static MeanSe MeanAndStandardError(IEnumerable<double> values)
    {
        double[] v = [.. values.Where(double.IsFinite)];
        if (v.Length == 0) return new MeanSe(double.NaN, double.NaN, 0);
        double mean = v.Average();
        if (v.Length == 1) return new MeanSe(mean, double.NaN, 1);
        double ss = v.Sum(x => (x - mean) * (x - mean));
        return new MeanSe(mean, Math.Sqrt(ss / (v.Length - 1) / v.Length), v.Length);
    }

    /// <summary>1-based ranks; tied values all get the average of the ranks they span (1, 2.5, 2.5, 4).</summary>
    public static double[] AverageRanks(IReadOnlyList<double> values)
    {
        int[] order = [.. Enumerable.Range(0, values.Count).OrderBy(i => values[i])];
        var ranks = new double[values.Count];
        for (int start = 0; start < order.Length;)
        {
            int end = start;
            while (end + 1 < order.Length && values[order[end + 1]] == values[order[start]]) end++;
            double rank = (start + end) / 2.0 + 1;
            for (int k = start; k <= end; k++) ranks[order[k]] = rank;
            start = end + 1;
        }
        return ranks;
    }

    /// <summary>
    /// Spearman's rank correlation ρ: Pearson's correlation of the average ranks (so ties are handled) over the pairs
    /// where both values are finite. Returns ρ and the number of pairs used; ρ is NaN for fewer than 2 pairs or when
    /// either side is constant.
    /// </summary>
    public static (double Rho, int N) Spearman(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        if (x.Count != y.Count) throw new ArgumentException($"Spearman: {x.Count} x values but {y.Count} y values");
        int[] keep = [.. Enumerable.Range(0, x.Count).Where(i => double.IsFinite(x[i]) && double.IsFinite(y[i]))];
        if (keep.Length < 2) return (double.NaN, keep.Length);
        double[] rx = AverageRanks([.. keep.Select(i => x[i])]), ry = AverageRanks([.. keep.Select(i => y[i])]);
        return (Pearson(rx, ry), keep.Length);
    }

    /// <summary>Pearson's correlation of two equally long samples; NaN when either is constant.</summary>
    public static double Pearson(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        double mx = x.Average(), my = y.Average(), sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < x.Count; i++)
        {
            double dx = x[i] - mx, dy = y[i] - my;
            sxy += dx * dy;
            sxx += dx * dx;
            syy += dy * dy;
        }
        return sxx > 0 && syy > 0 ? sxy / Math.Sqrt(sxx * syy) : double.NaN;
    }
}
