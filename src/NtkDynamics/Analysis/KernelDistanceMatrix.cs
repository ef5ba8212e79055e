using NtkDynamics.Experiments;
using NtkDynamics.Formats;
using NtkDynamics.Ntk.Metrics;

namespace NtkDynamics.Analysis;

/// <summary>
/// The kernel distance S(Θ_s, Θ_t) = 1 - CKA (centred, as kernel_distance_init) between every pair of a run's saved
/// kernels (kernels/*.npy): Distances[i, j] for Measurements[i] and Measurements[j].
/// </summary>
public sealed record KernelDistanceMatrix(IReadOnlyList<Measurement> Measurements, double[,] Distances)
{
    /// <summary>
    /// The matrix over the measurements whose kernel file exists, at most maxKernels of them taken evenly (always the first
    /// and the last); null when the run saved no kernels.
    /// </summary>
    public static KernelDistanceMatrix? FromRun(RunData run, int maxKernels)
    {
        if (maxKernels < 2) throw new InputException($"heatmap kernels: need at least 2, got {maxKernels}");
        List<Measurement> saved = [.. run.Measurements.Where(m => run.KernelPath(m) != null)];
        if (saved.Count == 0) return null;
        List<Measurement> chosen = [.. EvenlySpaced(saved.Count, maxKernels).Select(i => saved[i])];
        // each kernel centred (HKH) and scaled to unit Frobenius norm, so CKA is a dot product.
        var unit = new List<double[]>();
        foreach (Measurement m in chosen)
        {
            string path = run.KernelPath(m)!;
            NdArray a = Npy.Read(path);
            if (a.Shape.Length != 2 || a.Shape[0] != a.Shape[1]) throw new InputException($"{path}: expected a square kernel, got shape ({string.Join(", ", a.Shape)})");
            if (unit.Count > 0 && unit[0].Length != a.Length) throw new InputException($"{path}: {a.Shape[0]} x {a.Shape[1]}, the first kernel is {(int)Math.Sqrt(unit[0].Length)} square");
            double[] c = Hsic.Centred(a.ToDouble(), path);
            double norm = Math.Sqrt(Hsic.Dot(c, c));
            unit.Add(norm > 0 ? [.. c.Select(v => v / norm)] : [.. c.Select(_ => double.NaN)]);
        }
        int n = unit.Count;
        var d = new double[n, n];
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++)
                d[i, j] = d[j, i] = 1 - Hsic.Dot(unit[i], unit[j]);
        return new KernelDistanceMatrix(chosen, d);
    }

    /// <summary>min(count, max) indices spread evenly over 0 .. count-1, first and last included.</summary>
    public static int[] EvenlySpaced(int count, int max) =>
        count <= max ? [.. Enumerable.Range(0, count)]
            : [.. Enumerable.Range(0, max).Select(i => (int)Math.Round(i * (count - 1) / (double)(max - 1))).Distinct()];
}
