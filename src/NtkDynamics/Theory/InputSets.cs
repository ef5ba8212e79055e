using NtkDynamics.Tensors;

namespace NtkDynamics.Theory;

/// <summary>
/// Inputs for comparing networks with the analytic kernels: every point has |x|² = d, so E^0(x, x) = |x|²/d = 1
/// (CONVENTIONS.md). Values are rounded to float32 so the network (float32) and the theory (float64) see the same inputs.
/// </summary>
public static class InputSets
{
    /// <summary><paramref name="n"/> points uniform on the sphere of radius √d in ℝ^d: (n, d).</summary>
    public static double[] Sphere(int n, int d, Rng rng)
    {
        if (n <= 0 || d <= 0) throw new ArgumentOutOfRangeException(nameof(n), $"need n > 0 points in d > 0 dimensions, got n={n}, d={d}");
        var x = new double[n * d];
        for (int i = 0; i < n; i++)
        {
            var row = x.AsSpan(i * d, d);
            double norm = 0;
            for (int c = 0; c < d; c++) { row[c] = rng.NextNormal(); norm += row[c] * row[c]; }
            double scale = Math.Sqrt(d / norm);
            for (int c = 0; c < d; c++) row[c] = (float)(row[c] * scale);
        }
        return x;
    }

    /// <summary><paramref name="n"/> equispaced points on the circle of radius √2, point i at angle 2πi/n: (n, 2).</summary>
    public static double[] Circle(int n)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n), n, "must be positive");
        var x = new double[2 * n];
        for (int i = 0; i < n; i++)
        {
            double angle = 2 * Math.PI * i / n;
            x[2 * i] = (float)(Math.Sqrt(2) * Math.Cos(angle));
            x[2 * i + 1] = (float)(Math.Sqrt(2) * Math.Sin(angle));
        }
        return x;
    }

    /// <summary>The rows of <paramref name="x"/> (n, d) as a float32 tensor [n, d].</summary>
    public static Tensor ToTensor(double[] x, int n, int d)
    {
        if (x.Length != n * d) throw new ArgumentException($"expected {n}x{d} = {n * d} values, got {x.Length}");
        return new Tensor(Array.ConvertAll(x, v => (float)v), n, d);
    }
}
