using NtkDynamics.Nn;
using NtkDynamics.Tensors;

namespace NtkDynamics.Theory;

/// <summary>What <see cref="KernelConvergence.Run"/> measures.</summary>
public sealed record ConvergenceOptions
{
    /// <summary>Numbers of hidden layers L (as <see cref="AnalyticNtk.Depth"/>).</summary>
    public int[] Depths { get; init; } = [2, 3];

    public int[] Widths { get; init; } = [64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384];

    /// <summary>Networks drawn per depth and width.</summary>
    public int Seeds { get; init; } = 4;

    /// <summary>Points on the sphere of radius √d where the kernels are compared.</summary>
    public int Points { get; init; } = 16;

    public int InputDim { get; init; } = 8;

    public double SigmaW { get; init; } = Math.Sqrt(2);

    public double SigmaB { get; init; } = 0.1;

    /// <summary>Seeds the inputs and every network.</summary>
    public ulong Seed { get; init; }

    /// <summary>Throws an <see cref="InputException"/> naming the first bad value.</summary>
    public ConvergenceOptions Checked()
    {
        if (Depths.Length == 0 || Depths.Any(d => d < 1)) throw new InputException($"--depths: need hidden-layer counts >= 1, got [{string.Join(", ", Depths)}]");
        if (Widths.Distinct().Count() < 2 || Widths.Any(w => w < 1)) throw new InputException($"--widths: need at least two distinct widths >= 1, got [{string.Join(", ", Widths)}]");
        if (Seeds < 1) throw new InputException($"--seeds: must be >= 1, got {Seeds}");
        if (Points < 2 || InputDim < 1) throw new InputException($"--points and --input-dim: need >= 2 points and dimension >= 1, got {Points} and {InputDim}");
        if (!(SigmaW > 0) || !(SigmaB >= 0)) throw new InputException($"--sigma-w must be positive and --sigma-b 0 or positive, got {SigmaW} and {SigmaB}");
        return this;
    }
}

/// <summary>One network's relative Frobenius error ‖Θ_n − Θ_∞‖_F / ‖Θ_∞‖_F.</summary>
public sealed record ConvergenceSample(int Depth, int Width, int Seed, double RelativeError);

/// <summary>Every sample, with the mean over seeds and the log-log fit per depth.</summary>
public sealed record ConvergenceResult(ConvergenceOptions Options, IReadOnlyList<ConvergenceSample> Samples)
{
    /// <summary>The mean relative error over the seeds of one depth and width.</summary>
    public double MeanError(int depth, int width) =>
        Samples.Where(s => s.Depth == depth && s.Width == width).Average(s => s.RelativeError);

    /// <summary>The fit of log(mean error) against log(width) for one depth; theory: slope −1/2.</summary>
    public LogLogFit Fit(int depth) =>
        LogLogFit.Of(Options.Widths.Select(w => (double)w).ToArray(), Options.Widths.Select(w => MeanError(depth, w)).ToArray());
}

/// <summary>
/// How fast the empirical NTK of the engine's MLP in NTK parametrisation (<see cref="NtkParametrisation"/> with the
/// same σ_w, σ_b, one output, float32, <see cref="Ntk.EmpiricalNtk"/>) approaches <see cref="AnalyticNtk"/> of the same
/// depth as the width n grows. The kernel of a finite network is random with fluctuations ~ 1/√n (a sum over n
/// independent units per layer; its mean differs from the limit by O(1/n)), so the error of each draw is measured and
/// averaged over seeds, and the slope of log(mean error) against log(n) should be about −1/2.
/// </summary>
public static class KernelConvergence
{
    public static ConvergenceResult Run(ConvergenceOptions options, Action<string>? progress = null)
    {
        var o = options.Checked();
        var x = InputSets.Sphere(o.Points, o.InputDim, new Rng(o.Seed));
        var probe = InputSets.ToTensor(x, o.Points, o.InputDim);
        var samples = new List<ConvergenceSample>();
        foreach (int depth in o.Depths)
        {
            var exact = AnalyticNtk.Mlp(depth, o.SigmaW, o.SigmaB).Kernel(x, o.Points, o.InputDim).Ntk;
            foreach (int width in o.Widths)
                for (int s = 0; s < o.Seeds; s++)
                {
                    ulong seed = o.Seed + 1 + (ulong)(s + o.Seeds * (width + 100_000 * depth));
                    var model = Networks.Mlp(o.InputDim, depth, width, 1, new NtkParametrisation(o.SigmaW, o.SigmaB), seed);
                    double error = RelativeFrobenius(Networks.Kernel(model, probe), exact);
                    samples.Add(new ConvergenceSample(depth, width, s, error));
                    progress?.Invoke($"depth {depth} width {width} seed {s}: relative error {error:g4}");
                }
        }
        return new ConvergenceResult(o, samples);
    }

    /// <summary>‖a − b‖_F / ‖b‖_F.</summary>
    public static double RelativeFrobenius(double[] a, double[] b)
    {
        if (a.Length != b.Length) throw new ArgumentException($"kernels of different sizes: {a.Length} and {b.Length} values");
        double num = 0, den = 0;
        for (int i = 0; i < a.Length; i++) { num += (a[i] - b[i]) * (a[i] - b[i]); den += b[i] * b[i]; }
        return Math.Sqrt(num / den);
    }
}
