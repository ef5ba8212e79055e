namespace NtkDynamics.Continual;

/// <summary>Exact integer allocation of a total over weights.</summary>
public static class Allocation
{
    /// <summary>
    /// Splits <paramref name="total"/> into integers proportional to <paramref name="weights"/> (largest remainder:
    /// floors of the quotas, then one more to the largest remainders, ties to the earlier entry). The parts sum to total.
    /// </summary>
    public static int[] LargestRemainder(int total, ReadOnlySpan<double> weights)
    {
        double sum = 0;
        foreach (double w in weights)
        {
            if (!(w >= 0) || double.IsInfinity(w)) throw new ArgumentException($"weight {w} is not a finite non-negative number");
            sum += w;
        }
        if (sum <= 0) throw new ArgumentException("weights sum to 0");
        var parts = new int[weights.Length];
        var remainders = new double[weights.Length];
        int given = 0;
        for (int i = 0; i < weights.Length; i++)
        {
            double quota = total * (weights[i] / sum);
            // snap quotas within rounding error of an integer, so 0.7 * 10 is 7 and not 6 + a remainder of 0.99…
            double nearest = Math.Round(quota);
            if (Math.Abs(quota - nearest) < 1e-9 * Math.Max(1, total)) quota = nearest;
            parts[i] = (int)Math.Floor(quota);
            remainders[i] = quota - parts[i];
            given += parts[i];
        }
        var order = Enumerable.Range(0, weights.Length).OrderByDescending(i => remainders[i]).ThenBy(i => i).ToArray();
        for (int k = 0; given < total; k++, given++) parts[order[k]]++;
        return parts;
    }
}
