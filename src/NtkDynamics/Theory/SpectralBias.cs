using NtkDynamics.Nn;

namespace NtkDynamics.Theory;

/// <summary>What <see cref="SpectralBias.Run"/> trains.</summary>
public sealed record SpectralBiasOptions
{
    /// <summary>Equispaced training points on the circle of radius √2 (d = 2).</summary>
    public int Points { get; init; } = 64;

    /// <summary>The target is Σ_k cos(k θ) over these frequencies.</summary>
    public int[] Frequencies { get; init; } = [1, 2, 3, 4, 6, 8];

    public int Depth { get; init; } = 1;

    public int Width { get; init; } = 16384;

    public double SigmaW { get; init; } = Math.Sqrt(2);

    public double SigmaB { get; init; } = 0.1;

    /// <summary>h λ_max of the analytic kernel, h = 2η/n: sets the learning rate η.</summary>
    public double StepTimesLambdaMax { get; init; } = 1;

    public int Steps { get; init; } = 2000;

    /// <summary>Outputs are recorded at this many steps spaced evenly in log(step) from 1 to <see cref="Steps"/> (plus step 0).</summary>
    public int Records { get; init; } = 200;

    public ulong Seed { get; init; }

    /// <summary>Throws an <see cref="InputException"/> naming the first bad value.</summary>
    public SpectralBiasOptions Checked()
    {
        if (Points < 4) throw new InputException($"--points: need >= 4, got {Points}");
        if (Frequencies.Length == 0 || Frequencies.Any(k => k < 0 || 2 * k >= Points))
            throw new InputException($"--frequencies: need frequencies in 0..{(Points - 1) / 2} (below half the number of points), got [{string.Join(", ", Frequencies)}]");
        if (Depth < 1 || Width < 1) throw new InputException($"--depth and --width: must be >= 1, got {Depth} and {Width}");
        if (!(StepTimesLambdaMax > 0 && StepTimesLambdaMax < 2)) throw new InputException($"--step-lambda: h·λmax must be in (0, 2), got {StepTimesLambdaMax}");
        if (Steps < 1 || Records < 1) throw new InputException($"--steps and --records: must be >= 1, got {Steps} and {Records}");
        return this;
    }
}

/// <summary>
/// Per frequency k of <see cref="SpectralBiasOptions.Frequencies"/> (index q): the kernels' eigenvalue and the amplitude
/// of the residual f_t − y at frequency k along training, real network against the closed form with Θ_∞.
/// </summary>
/// <param name="Options">The options run.</param>
/// <param name="LearningRate">η.</param>
/// <param name="StepSize">h = 2η/n, the function-space step.</param>
/// <param name="Steps">The recorded steps.</param>
/// <param name="Eigenvalues">λ_k of the analytic kernel (circulant on equispaced points: its Fourier modes are eigenvectors).</param>
/// <param name="EmpiricalEigenvalues">u_kᵀ Θ_0 u_k of the network's empirical kernel at initialisation, u_k the unit cosine at frequency k.</param>
/// <param name="Real">Real[q][j]: the residual's amplitude at frequency q at step Steps[j].</param>
/// <param name="Theory">Theory[q][j]: the same for the closed form, which is |1 − hλ_k|^t times its value at step 0.</param>
public sealed record SpectralBiasResult(SpectralBiasOptions Options, double LearningRate, double StepSize, int[] Steps,
    double[] Eigenvalues, double[] EmpiricalEigenvalues, double[][] Real, double[][] Theory)
{
    /// <summary>The theory's half-life of frequency q in steps: ln 2 / −ln|1 − hλ_k| (+∞ when λ_k ≤ 0).</summary>
    public double TheoryHalfLife(int q)
    {
        double factor = Math.Abs(1 - StepSize * Eigenvalues[q]);
        return factor < 1 ? Math.Log(2) / -Math.Log(factor) : double.PositiveInfinity;
    }

    /// <summary>
    /// The first step at which the network's residual at frequency q is half its value at step 0, interpolated linearly
    /// in log(step) between recorded steps (NaN when it never halves).
    /// </summary>
    public double RealHalfLife(int q)
    {
        var a = Real[q];
        for (int j = 1; j < a.Length; j++)
            if (a[j] <= a[0] / 2)
            {
                if (Steps[j - 1] == 0) return Steps[j];
                double u = (a[j - 1] - a[0] / 2) / (a[j - 1] - a[j]);
                return Math.Exp(Math.Log(Steps[j - 1]) + u * (Math.Log(Steps[j]) - Math.Log(Steps[j - 1])));
            }
        return double.NaN;
    }
}

/// <summary>
/// Spectral bias: gradient descent fits the kernel's large-eigenvalue directions first. On equispaced points of the
/// circle the analytic NTK is circulant, so its eigenvectors are the Fourier modes and the residual's component at
/// frequency k decays as (1 − hλ_k)^t with λ_k falling with k (Rahaman et al. 2019; Basri et al. 2019; Cao et al. 2019).
/// A wide MLP in NTK parametrisation is trained on Σ_k cos(k θ) and its residual per frequency is compared with that.
/// </summary>
public static class SpectralBias
{
    public static SpectralBiasResult Run(SpectralBiasOptions options, Action<string>? progress = null)
    {
        var o = options.Checked();
        int n = o.Points;
        var x = InputSets.Circle(n);
        var probe = InputSets.ToTensor(x, n, 2);
        var y = Enumerable.Range(0, n).Select(i => o.Frequencies.Sum(k => Math.Cos(k * Angle(i, n)))).ToArray();
        var exact = AnalyticNtk.Mlp(o.Depth, o.SigmaW, o.SigmaB).Kernel(x, n, 2).Ntk;
        var spectral = new SpectralKernel(exact, n);
        double lr = FullBatchGd.LearningRate(spectral, 1, o.StepTimesLambdaMax);
        var gd = FullBatchGd.Linearised(spectral, 1, lr);
        var model = Networks.Mlp(2, o.Depth, o.Width, 1, new NtkParametrisation(o.SigmaW, o.SigmaB), o.Seed + 1);
        var theta0 = Networks.Kernel(model, probe);
        var real = FullBatchGd.Train(model, probe, n, y, lr, o.Steps, FullBatchGd.LogSchedule(o.Steps, o.Records));
        var f0 = real.Outputs[0];
        int count = o.Frequencies.Length;
        var realAmplitude = new double[count][];
        var theoryAmplitude = new double[count][];
        for (int q = 0; q < count; q++) { realAmplitude[q] = new double[real.Steps.Length]; theoryAmplitude[q] = new double[real.Steps.Length]; }
        for (int j = 0; j < real.Steps.Length; j++)
        {
            var theory = gd.TrainOutputs(f0, y, 1, real.Steps[j], discrete: true);
            for (int q = 0; q < count; q++)
            {
                realAmplitude[q][j] = Amplitude(real.Outputs[j], y, o.Frequencies[q]);
                theoryAmplitude[q][j] = Amplitude(theory, y, o.Frequencies[q]);
            }
        }
        var eigen = o.Frequencies.Select(k => Rayleigh(exact, n, k)).ToArray();
        var empirical = o.Frequencies.Select(k => Rayleigh(theta0, n, k)).ToArray();
        for (int q = 0; q < count; q++)
            progress?.Invoke($"frequency {o.Frequencies[q]}: λ {eigen[q]:g4} (network {empirical[q]:g4}), residual {realAmplitude[q][0]:g3} → {realAmplitude[q][^1]:g3} (theory {theoryAmplitude[q][^1]:g3})");
        return new SpectralBiasResult(o, lr, gd.StepSize, real.Steps, eigen, empirical, realAmplitude, theoryAmplitude);
    }

    private static double Angle(int i, int n) => 2 * Math.PI * i / n;

    /// <summary>
    /// The amplitude A of the component A cos(kθ + φ) of f − y on the n equispaced angles θ_i = 2πi/n (for k = 0, |mean|).
    /// </summary>
    public static double Amplitude(double[] f, double[] y, int k)
    {
        int n = y.Length;
        double c = 0, s = 0;
        for (int i = 0; i < n; i++) { c += (f[i] - y[i]) * Math.Cos(k * Angle(i, n)); s += (f[i] - y[i]) * Math.Sin(k * Angle(i, n)); }
        return (k == 0 ? 1.0 : 2.0) / n * Math.Sqrt(c * c + s * s);
    }

    // u_kᵀ Θ u_k for the unit vector u_k ∝ cos(k θ_i): the eigenvalue at frequency k when Θ (n, n) is circulant.
    private static double Rayleigh(double[] kernel, int n, int k)
    {
        var u = Enumerable.Range(0, n).Select(i => Math.Cos(k * Angle(i, n))).ToArray();
        double norm = u.Sum(v => v * v), sum = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) sum += u[i] * kernel[i * n + j] * u[j];
        return sum / norm;
    }
}
