using NtkDynamics.Nn;
using NtkDynamics.Ntk.Metrics;
using NtkDynamics.Tensors;

namespace NtkDynamics.Theory;

/// <summary>What <see cref="LazyRich.Run"/> trains: one architecture at several widths, on one regression problem.</summary>
public sealed record LazyRichOptions
{
    /// <summary>A one-output architecture of the given width (MLP hidden size or CNN channels).</summary>
    public required Func<int, ModelSpec> Architecture { get; init; }

    public required int[] Widths { get; init; }

    /// <summary>The probe (m, ...input): its first <see cref="Train"/> rows are the training inputs, the rest held out.</summary>
    public required Tensor Probe { get; init; }

    public required int Train { get; init; }

    /// <summary>Targets of the training rows, (Train).</summary>
    public required double[] Targets { get; init; }

    public int Steps { get; init; } = 200;

    /// <summary>
    /// The learning rate of each parametrisation is set once, on its narrowest network, so that h λ_max(Θ_0) equals
    /// this (h = 2η/n), and then kept for every width.
    /// </summary>
    public double StepTimesLambdaMax { get; init; } = 0.5;

    /// <summary>Outputs are recorded at this many evenly spaced steps (plus step 0).</summary>
    public int Records { get; init; } = 50;

    public ulong Seed { get; init; }

    /// <summary>Throws an <see cref="InputException"/> naming the first bad value.</summary>
    public LazyRichOptions Checked()
    {
        if (Widths.Length == 0 || Widths.Any(w => w < 1)) throw new InputException($"--widths: need widths >= 1, got [{string.Join(", ", Widths)}]");
        if (Train < 2 || Train > Probe.Shape[0]) throw new InputException($"--train: need 2..{Probe.Shape[0]} training points, got {Train}");
        if (Targets.Length != Train) throw new ArgumentException($"targets: expected {Train} values, got {Targets.Length}");
        if (!(StepTimesLambdaMax > 0)) throw new InputException($"--step-lambda: must be positive, got {StepTimesLambdaMax}");
        if (Steps < 1 || Records < 1) throw new InputException($"--steps and --records: must be >= 1, got {Steps} and {Records}");
        return this;
    }
}

/// <summary>
/// One trained network. Kernels are empirical NTKs on the whole probe at step 0 and at the end. The linearisation error at
/// a recorded step is RMS over the probe of (f_t − f_t^lin) / RMS over the training points of (f_0 − y), with f^lin the
/// network linearised at initialisation (closed form with Θ_0).
/// </summary>
/// <param name="Parametrisation">"ntk" or "standard" (Kaiming normal).</param>
/// <param name="Width">Hidden units (MLP) or channels (CNN).</param>
/// <param name="LearningRate">η, the same for every width of this parametrisation.</param>
/// <param name="StepLambda">h λ_max(Θ_0) of the train kernel at this width (above 2: gradient descent leaves the lazy regime).</param>
/// <param name="StepLambdaEnd">h λ_max(Θ_T) after training (NaN when training diverged): a catapult ends below 2.</param>
/// <param name="KernelChange">‖Θ_T − Θ_0‖_F / ‖Θ_0‖_F (NaN when training diverged).</param>
/// <param name="KernelDistance">1 − CKA(Θ_T, Θ_0) (NaN when training diverged).</param>
/// <param name="LinearisationError">The largest linearisation error along training (+∞ when diverged).</param>
/// <param name="Steps">The recorded steps.</param>
/// <param name="LinearisationAlong">The linearisation error at each of <see cref="Steps"/>.</param>
/// <param name="LossStart">Training MSE at step 0.</param>
/// <param name="LossEnd">Training MSE at the last recorded step.</param>
/// <param name="Diverged">Whether the training loss stopped being finite.</param>
public sealed record LazyRichRun(string Parametrisation, int Width, double LearningRate, double StepLambda, double StepLambdaEnd, double KernelChange,
    double KernelDistance, double LinearisationError, int[] Steps, double[] LinearisationAlong, double LossStart, double LossEnd, bool Diverged);

/// <summary>
/// Lazy against rich training: networks of growing width in NTK parametrisation (σ_w = √2, σ_b = 0.1) and in standard
/// parametrisation (Kaiming normal, the same σ_w), trained by full-batch gradient descent on the MSE with one
/// width-independent learning rate per parametrisation. In NTK parametrisation the kernel moves by O(1/√width) (lazy);
/// in standard parametrisation Θ grows like the width, so a fixed rate takes wide networks out of the kernel regime.
/// </summary>
public static class LazyRich
{
    /// <summary>The two parametrisations compared, by name.</summary>
    public static IReadOnlyList<(string Name, Nn.Parametrisation Value)> Parametrisations { get; } =
        [("ntk", new NtkParametrisation(Math.Sqrt(2), 0.1)), ("standard", new StandardParametrisation(StandardInit.KaimingNormal))];

    public static IReadOnlyList<LazyRichRun> Run(LazyRichOptions options, Action<string>? progress = null)
    {
        var o = options.Checked();
        int n = o.Train, m = o.Probe.Shape[0];
        var record = FullBatchGd.LinearSchedule(o.Steps, o.Records);
        var runs = new List<LazyRichRun>();
        foreach (var (name, parametrisation) in Parametrisations)
        {
            ulong Seed(int width) => o.Seed + 1 + (ulong)width;
            var narrowest = o.Architecture(o.Widths.Min()).Build(parametrisation, Seed(o.Widths.Min()));
            double lr = FullBatchGd.LearningRate(new SpectralKernel(FullBatchGd.TrainBlock(Networks.Kernel(narrowest, o.Probe), m, n), n), 1, o.StepTimesLambdaMax);
            foreach (int width in o.Widths)
            {
                var model = o.Architecture(width).Build(parametrisation, Seed(width));
                var theta0 = Networks.Kernel(model, o.Probe);
                var gd = FullBatchGd.Linearised(new SpectralKernel(FullBatchGd.TrainBlock(theta0, m, n), n), 1, lr);
                var real = FullBatchGd.Train(model, o.Probe, n, o.Targets, lr, o.Steps, record);
                var f0 = real.Outputs[0];
                var along = real.Steps.Select((t, j) =>
                    FullBatchGd.RelativeDeviation(real.Outputs[j], FullBatchGd.Predict(gd, theta0, m, f0, o.Targets, 1, t), f0, o.Targets)).ToArray();
                double change = double.NaN, distance = double.NaN, lambdaEnd = double.NaN;
                if (!real.Diverged)
                {
                    var thetaT = Networks.Kernel(model, o.Probe);
                    change = KernelConvergence.RelativeFrobenius(thetaT, theta0);
                    distance = KernelDistance.Centred(thetaT, theta0);
                    lambdaEnd = new SpectralKernel(FullBatchGd.TrainBlock(thetaT, m, n), n).Values[^1];
                }
                var run = new LazyRichRun(name, width, lr, gd.StepSize * gd.Train.Values[^1], gd.StepSize * lambdaEnd, change, distance,
                    real.Diverged ? double.PositiveInfinity : along.Max(), real.Steps, along,
                    Loss(real.Outputs[0], o.Targets), Loss(real.Outputs[^1], o.Targets), real.Diverged);
                runs.Add(run);
                progress?.Invoke($"{name} width {width}: lr {lr:g3}, h·λmax {run.StepLambda:g3} → {run.StepLambdaEnd:g3}, kernel change {change:g3}, 1 − CKA {distance:g3}, " +
                    $"linearisation error {run.LinearisationError:g3}, loss {run.LossStart:g3} → {run.LossEnd:g3}{(real.Diverged ? " (diverged)" : "")}");
            }
        }
        return runs;
    }

    // mean((f − y)²) over the training rows.
    private static double Loss(double[] f, double[] y)
    {
        double s = 0;
        for (int i = 0; i < y.Length; i++) s += (f[i] - y[i]) * (f[i] - y[i]);
        return s / y.Length;
    }
}
