namespace NtkDynamics.Experiments;

/// <summary>
/// Summaries of the accuracy matrix R (R[i][j] = accuracy on task j after training task i, T tasks):
/// average accuracy = mean_j R[T-1][j]; forgetting (Chaudhry et al. 2018) = mean over j &lt; T-1 of max_{l &lt; T-1} R[l][j] - R[T-1][j];
/// backward transfer (Lopez-Paz and Ranzato 2017) = mean over j &lt; T-1 of R[T-1][j] - R[j][j]; forward transfer (the same paper)
/// = mean over j ≥ 1 of R[j-1][j] - b[j], b[j] the accuracy of the randomly initialised model on task j. Forgetting, BWT and FWT
/// are NaN for one task.
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

    /// <summary>Mean over j ≥ 1 of r[j-1][j] - initial[j]: how much training up to task j-1 helps task j before it is trained.</summary>
    public static double ForwardTransfer(double[][] r, double[] initial)
    {
        int tasks = Math.Min(r.Length, initial.Length);
        if (tasks < 2) return double.NaN;
        return Enumerable.Range(1, tasks - 1).Average(j => r[j - 1][j] - initial[j]);
    }

    public static double BackwardTransfer(double[][] r)
    {
        int last = r.Length - 1;
        if (last == 0) return double.NaN;
        return Enumerable.Range(0, last).Average(j => r[last][j] - r[j][j]);
    }
}
