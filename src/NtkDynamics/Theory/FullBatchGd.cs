using NtkDynamics.Nn;
using NtkDynamics.Tensors;

namespace NtkDynamics.Theory;

/// <summary>Outputs on the probe along training: Outputs[j] is f at step Steps[j], (m, k) in float64.</summary>
/// <param name="Steps">The recorded steps, ascending; the last is where training stopped.</param>
/// <param name="Outputs">One (m, k) array per recorded step.</param>
/// <param name="Diverged">True when the training loss stopped being finite (or exceeded 1e12) before the last step.</param>
public sealed record Trajectory(int[] Steps, double[][] Outputs, bool Diverged);

/// <summary>
/// Full-batch gradient descent on PyTorch's MSE, mean((f − y)²) over the n·k entries, with plain <see cref="Sgd"/>
/// (no momentum, no weight decay). Its gradient with respect to f is 2(f − y)/(n k), so in function space a step moves
/// the training outputs by −(2η/(n k)) Θ (f − y): the linearised closed form is <see cref="GradientDescentDynamics"/>
/// with <see cref="MseLoss.Mean"/> and learning rate 2η/k (<see cref="Linearised"/>).
/// </summary>
public static class FullBatchGd
{
    /// <summary>
    /// Trains <paramref name="model"/> for <paramref name="steps"/> steps of rate <paramref name="lr"/> on the first n rows of
    /// <paramref name="probe"/> (m, ...input) with targets (n, k), recording the outputs on the whole probe before
    /// each step in <paramref name="record"/> (values in 0..steps; step t is after t updates).
    /// </summary>
    public static Trajectory Train(Model model, Tensor probe, int n, double[] targets, double lr, int steps, IReadOnlyCollection<int> record)
    {
        int m = probe.Shape[0], k = model.Classes, size = Tensor.Count(probe.Shape.AsSpan(1));
        if (n < 1 || n > m) throw new ArgumentOutOfRangeException(nameof(n), n, $"the training rows must be 1..{m} of the probe");
        if (targets.Length != n * k) throw new ArgumentException($"targets: expected {n}x{k} = {n * k} values, got {targets.Length}");
        var train = new Tensor(probe.Data[..(n * size)], [n, .. probe.Shape.AsSpan(1)]);
        var y = new Tensor(Array.ConvertAll(targets, v => (float)v), n, k);
        var grad = new Tensor(n, k);
        var sgd = new Sgd(model.Parameters, lr);
        var recorded = new List<int>();
        var outputs = new List<double[]>();
        for (int t = 0; t <= steps; t++)
        {
            if (record.Contains(t))
            {
                recorded.Add(t);
                outputs.Add(Array.ConvertAll(model.Forward(probe).Data, v => (double)v));
            }
            if (t == steps) break;
            double loss = Losses.MeanSquaredError(model.Forward(train), y, grad);
            if (!double.IsFinite(loss) || loss > 1e12) return new Trajectory([.. recorded], [.. outputs], true);
            model.ZeroGrad();
            model.Backward(grad);
            sgd.Step();
        }
        return new Trajectory([.. recorded], [.. outputs], false);
    }

    /// <summary>The closed form of <see cref="Train"/> linearised around a kernel Θ(X, X) of the n training inputs, k outputs.</summary>
    public static GradientDescentDynamics Linearised(SpectralKernel train, int k, double lr) => new(train, 2 * lr / k, MseLoss.Mean);

    /// <summary>The learning rate η at which the function-space step h = 2η/(n k) times λ_max of the train kernel is <paramref name="stepTimesLambdaMax"/>.</summary>
    public static double LearningRate(SpectralKernel train, int k, double stepTimesLambdaMax) =>
        stepTimesLambdaMax * train.N * k / (2 * train.Values[^1]);

    /// <summary>Steps 0, round(steps·j/count) for j = 1..count: <paramref name="count"/> evenly spaced recordings after step 0.</summary>
    public static HashSet<int> LinearSchedule(int steps, int count) =>
        Enumerable.Range(0, count + 1).Select(j => (int)Math.Round((double)j * steps / count)).ToHashSet();

    /// <summary>Step 0 and round(steps^(j/count)) for j = 0..count: evenly spaced in log(step) from 1 to <paramref name="steps"/>.</summary>
    public static HashSet<int> LogSchedule(int steps, int count) =>
        Enumerable.Range(0, count + 1).Select(j => (int)Math.Round(Math.Pow(steps, (double)j / count))).Prepend(0).ToHashSet();

    /// <summary>
    /// The linearised outputs on the whole probe after t steps, from a probe kernel (m, m) whose first n rows are the
    /// training inputs, f_0 on the probe (m, k) and targets (n, k): (m, k).
    /// </summary>
    public static double[] Predict(GradientDescentDynamics gd, double[] probeKernel, int m, double[] f0, double[] targets, int k, int t)
    {
        int n = gd.Train.N;
        var f0Train = f0[..(n * k)];
        var train = gd.TrainOutputs(f0Train, targets, k, t, discrete: true);
        if (m == n) return train;
        var cross = new double[(m - n) * n];
        for (int i = n; i < m; i++) Array.Copy(probeKernel, i * m, cross, (i - n) * n, n);
        var test = gd.TestOutputs(cross, m - n, f0[(n * k)..], f0Train, targets, k, t, discrete: true);
        return [.. train, .. test];
    }

    /// <summary>The (n, n) block of the training inputs from a probe kernel (m, m).</summary>
    public static double[] TrainBlock(double[] probeKernel, int m, int n)
    {
        var block = new double[n * n];
        for (int i = 0; i < n; i++) Array.Copy(probeKernel, i * m, block, i * n, n);
        return block;
    }

    /// <summary>
    /// RMS over the probe of (f − predicted), divided by the RMS over the training rows of the initial residual f_0 − y
    /// (y holds the training rows, the first of the probe); f, predicted and f0 are (m, 1).
    /// </summary>
    public static double RelativeDeviation(double[] f, double[] predicted, double[] f0, double[] y)
    {
        double r0 = 0, sum = 0;
        for (int i = 0; i < y.Length; i++) r0 += (f0[i] - y[i]) * (f0[i] - y[i]);
        for (int i = 0; i < f.Length; i++) sum += (f[i] - predicted[i]) * (f[i] - predicted[i]);
        return Math.Sqrt(sum / f.Length) / Math.Sqrt(r0 / y.Length);
    }
}
