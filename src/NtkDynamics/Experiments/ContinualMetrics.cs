namespace NtkDynamics.Experiments;

/// <summary>
/// Summaries of the accuracy matrix R (R[i][j] = accuracy on task j after training task i, T tasks):
/// average accuracy = mean_j R[T-1][j]; forgetting (Chaudhry et al. 2018) = mean over j &lt; T-1 of max_{l &lt; T-1} R[l][j] - R[T-1][j];
/// backward transfer (Lopez-Paz and Ranzato 2017) = mean over j &lt; T-1 of R[T-1][j] - R[j][j]. Forgetting and BWT are NaN for one task.
/// </summary>
public static class ContinualMetrics
{
    public static double AverageAccuracy(double[][] r) => r[^1].Average();

    public static double Forgetting(double[][] r)
    {
        int last = r.Length - 1;
        if (last == 0) return double.NaN;
        return Enumerable.Range(0, last).Average(j => Enumerable.Range(0, last).Max(l => r[l][j]) - r[last][j]);
    }

    public static double BackwardTransfer(double[][] r)
    {
        int last = r.Length - 1;
        if (last == 0) return double.NaN;
        return Enumerable.Range(0, last).Average(j => r[last][j] - r[j][j]);
    }
}
