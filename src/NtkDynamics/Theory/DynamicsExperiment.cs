using NtkDynamics.Nn;
using NtkDynamics.Tensors;

namespace NtkDynamics.Theory;

/// <summary>What <see cref="DynamicsExperiment.Run"/> trains.</summary>
public sealed record DynamicsOptions
{
    /// <summary>Hidden layers L.</summary>
    public int Depth { get; init; } = 2;

    public int[] Widths { get; init; } = [64, 128, 256, 512, 1024, 2048, 4096];

    public int Seeds { get; init; } = 2;

    /// <summary>Training points n (on the sphere of radius √d, targets N(0, 1)).</summary>
    public int Train { get; init; } = 16;

    /// <summary>Held-out points whose outputs are followed too.</summary>
    public int Test { get; init; } = 16;

    public int InputDim { get; init; } = 8;

    public double SigmaW { get; init; } = Math.Sqrt(2);

    public double SigmaB { get; init; } = 0.1;

    /// <summary>h λ_max of the analytic train kernel, h = 2η/n the function-space step: sets the learning rate η.</summary>
    public double StepTimesLambdaMax { get; init; } = 0.5;

    public int Steps { get; init; } = 100;

    /// <summary>Outputs are recorded at this many evenly spaced steps (plus step 0).</summary>
    public int Records { get; init; } = 100;

    public ulong Seed { get; init; }

    /// <summary>Throws an <see cref="InputException"/> naming the first bad value.</summary>
    public DynamicsOptions Checked()
    {
        if (Depth < 1) throw new InputException($"--depth: must be >= 1, got {Depth}");
        if (Widths.Length == 0 || Widths.Any(w => w < 1)) throw new InputException($"--widths: need widths >= 1, got [{string.Join(", ", Widths)}]");
        if (Seeds < 1 || Train < 2 || Test < 0 || InputDim < 1) throw new InputException($"--seeds, --train, --test, --input-dim: need >= 1, >= 2, >= 0, >= 1, got {Seeds}, {Train}, {Test}, {InputDim}");
        if (!(StepTimesLambdaMax > 0 && StepTimesLambdaMax < 2)) throw new InputException($"--step-lambda: h·λmax must be in (0, 2) for gradient descent to converge, got {StepTimesLambdaMax}");
        if (Steps < 1 || Records < 1) throw new InputException($"--steps and --records: must be >= 1, got {Steps} and {Records}");
        return this;
    }
}

/// <summary>
/// One network: its outputs along training and the two closed-form predictions from the same f_0, each a list of (m, 1)
/// probe outputs at <see cref="Trajectory.Steps"/>: <see cref="Analytic"/> uses Θ_∞ (<see cref="AnalyticNtk"/>), and
/// <see cref="Linearised"/> the network's own empirical Θ_0 (the linearised network). The errors are
/// max_t RMS over the probe of (f_t − prediction_t), divided by RMS over the training points of f_0 − y.
/// </summary>
public sealed record DynamicsRun(int Width, int Seed, Trajectory Real, double[][] Analytic, double[][] Linearised,
    double ErrorAnalytic, double ErrorLinearised);

public sealed record DynamicsResult(DynamicsOptions Options, double LearningRate, IReadOnlyList<DynamicsRun> Runs)
{
    /// <summary>Mean over seeds of one width's error against Θ_∞ (analytic) or Θ_0 (linearised).</summary>
    public double MeanError(int width, bool analytic) =>
        Runs.Where(r => r.Width == width).Average(r => analytic ? r.ErrorAnalytic : r.ErrorLinearised);

    /// <summary>The log-log fit of the mean error against the width.</summary>
    public LogLogFit Fit(bool analytic) => LogLogFit.Of(Options.Widths.Select(w => (double)w).ToArray(),
        Options.Widths.Select(w => MeanError(w, analytic)).ToArray());
}

/// <summary>
/// Real full-batch gradient descent (<see cref="FullBatchGd"/>) of one-output MLPs in NTK parametrisation on n points
/// against the closed-form kernel dynamics (<see cref="GradientDescentDynamics"/>, discrete steps), at several widths.
/// Both deviations shrink like 1/√width: Θ_0 − Θ_∞ fluctuates at that order, and the kernel moves by that order
/// during training (Jacot et al. 2018; Lee et al. 2019).
/// </summary>
public static class DynamicsExperiment
{
    public static DynamicsResult Run(DynamicsOptions options, Action<string>? progress = null)
    {
        var o = options.Checked();
        int n = o.Train, m = o.Train + o.Test, d = o.InputDim;
        var rng = new Rng(o.Seed);
        var x = InputSets.Sphere(m, d, rng);
        var y = Enumerable.Range(0, n).Select(_ => rng.NextNormal()).ToArray();
        var probe = InputSets.ToTensor(x, m, d);
        var exact = AnalyticNtk.Mlp(o.Depth, o.SigmaW, o.SigmaB).Kernel(x, m, d).Ntk;
        var exactTrain = new SpectralKernel(FullBatchGd.TrainBlock(exact, m, n), n);
        double lr = FullBatchGd.LearningRate(exactTrain, 1, o.StepTimesLambdaMax);
        var analytic = FullBatchGd.Linearised(exactTrain, 1, lr);
        var record = FullBatchGd.LinearSchedule(o.Steps, o.Records);
        var runs = new List<DynamicsRun>();
        foreach (int width in o.Widths)
            for (int s = 0; s < o.Seeds; s++)
            {
                var model = Networks.Mlp(d, o.Depth, width, 1, new NtkParametrisation(o.SigmaW, o.SigmaB), o.Seed + 1 + (ulong)(s + o.Seeds * width));
                var theta0 = Networks.Kernel(model, probe);
                var real = FullBatchGd.Train(model, probe, n, y, lr, o.Steps, record);
                var linearised = FullBatchGd.Linearised(new SpectralKernel(FullBatchGd.TrainBlock(theta0, m, n), n), 1, lr);
                var f0 = real.Outputs[0];
                var a = real.Steps.Select(t => FullBatchGd.Predict(analytic, exact, m, f0, y, 1, t)).ToArray();
                var l = real.Steps.Select(t => FullBatchGd.Predict(linearised, theta0, m, f0, y, 1, t)).ToArray();
                var run = new DynamicsRun(width, s, real, a, l, Deviation(real, a, f0, y), Deviation(real, l, f0, y));
                runs.Add(run);
                progress?.Invoke($"width {width} seed {s}: error vs Θ_∞ {run.ErrorAnalytic:g4}, vs Θ_0 {run.ErrorLinearised:g4}{(real.Diverged ? " (diverged)" : "")}");
            }
        return new DynamicsResult(o, lr, runs);
    }

    /// <summary>The largest <see cref="FullBatchGd.RelativeDeviation"/> over the recorded steps; +∞ when training diverged.</summary>
    public static double Deviation(Trajectory real, double[][] predicted, double[] f0, double[] y) => real.Diverged
        ? double.PositiveInfinity
        : real.Outputs.Select((f, j) => FullBatchGd.RelativeDeviation(f, predicted[j], f0, y)).Max();
}
