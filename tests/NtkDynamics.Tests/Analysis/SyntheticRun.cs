using NtkDynamics.Ntk.Metrics;
using NtkDynamics.Tensors;

namespace NtkDynamics.Tests.Analysis;

/// <summary>
/// A plausible run made from drifting kernels: Θ_t = c(t)·F_t F_tᵀ with F_t (n x d) moving towards each task's class
/// structure after its switch (faster moves for narrower widths), c(t) dipping just after each switch (the check-mark); every
/// metric is computed from these kernels by the library. Accuracy rises on the current task and decays on the old ones.
/// </summary>
internal static class SyntheticRun
{
    private const int N = 24, D = 12, Classes = 6, Every = 10, Tau = 25;

    public static FakeRun Create(int width, ulong seed, int tasks = 3, int stepsPerTask = 200, bool kernels = true, double[]? similarity = null)
    {
        var rng = new Rng(seed * 7919 + (ulong)width);
        int[] labels = [.. Enumerable.Range(0, N).Select(i => i % Classes)];
        double[,] f0 = Normal(rng, N, D, 1), embed = Normal(rng, Classes, D, 1.5);
        var dirs = new List<double[,]>();
        for (int k = 0; k < tasks; k++)
        {
            double[,] noise = Normal(rng, N, D, 0.4), dk = new double[N, D];
            int lo = (2 * k) % Classes;
            for (int i = 0; i < N; i++)
                for (int j = 0; j < D; j++)
                    dk[i, j] = (labels[i] == lo || labels[i] == lo + 1 ? embed[labels[i], j] : 0) + noise[i, j];
            dirs.Add(dk);
        }
        double amp = 1.2 / Math.Pow(width / 16.0, 0.35), scale = Math.Sqrt(width / 16.0);
        int[] steps = [.. Enumerable.Range(0, tasks * stepsPerTask / Every + 1).Select(i => i * Every)];
        var ks = new List<double[]>();
        foreach (int t in steps)
        {
            var f = (double[,])f0.Clone();
            double c = scale * (1 + 0.002 * t);
            for (int k = 0; k < tasks; k++)
            {
                double since = t - k * stepsPerTask;
                if (since <= 0) continue;
                double p = 1 - Math.Exp(-since / Tau);
                if (k > 0) c *= 1 - 0.45 * Math.Exp(-since / 40) * (1 - Math.Exp(-since / 6));
                for (int i = 0; i < N; i++)
                    for (int j = 0; j < D; j++)
                        f[i, j] += amp * p * dirs[k][i, j];
            }
            double[,] jitter = Normal(rng, N, D, 0.01);
            var kt = new double[N * N];
            for (int a = 0; a < N; a++)
                for (int b = 0; b < N; b++)
                {
                    double sum = 0;
                    for (int j = 0; j < D; j++) sum += (f[a, j] + jitter[a, j]) * (f[b, j] + jitter[b, j]);
                    kt[a * N + b] = c * sum;
                }
            ks.Add(kt);
        }
        var acc = new List<(int, int, int, double)>();
        double keep = 0.25 + 0.12 * Math.Log2(width / 16.0) / 2;
        for (int t = 0; t <= tasks * stepsPerTask; t += 20)
            for (int j = 0; j < tasks; j++)
            {
                int start = j * stepsPerTask, end = start + stepsPerTask;
                double top = 0.92 - 0.02 * j;
                double a = t <= start ? 0.02 : t <= end ? top * (1 - Math.Exp(-(t - start) / 30.0))
                    : top * (1 - Math.Exp(-stepsPerTask / 30.0)) * (keep + (1 - keep) * Math.Exp(-(t - end) / 35.0));
                acc.Add((t, Math.Min(tasks - 1, Math.Max(0, (t - 1) / stepsPerTask)), j, a + 0.01 * rng.NextNormal()));
            }
        return new FakeRun
        {
            Name = $"width={width},seed={seed}", Width = width, Seed = seed, StepsPerTask = [.. Enumerable.Repeat(stepsPerTask, tasks)],
            Similarity = similarity, Steps = steps,
            LambdaMax = [.. ks.Select(k => Spectrum.Of(k).Max)],
            Eigenvalues = [.. ks.Select(k => Spectrum.Of(k).Top(5))],
            KernelDistanceInit = [.. ks.Select(k => KernelDistance.Centred(ks[0], k))],
            KernelDistancePrev = [.. ks.Select((k, i) => i == 0 ? double.NaN : KernelDistance.Centred(ks[i - 1], k))],
            Alignment = [.. ks.Select(k => LabelAlignment.Centred(k, labels, Classes))],
            Kernels = kernels ? [.. ks] : null,
            Accuracy = acc,
        };
    }

    /// <summary>A sweep folder: one synthetic run per (width, seed), cells named "model.width=W,seed=S".</summary>
    public static string WriteSweep(string folder, int[] widths, int seeds, int tasks = 3, bool kernels = false)
    {
        var cells = new List<(string, Dictionary<string, object>)>();
        foreach (int w in widths)
            for (int seed = 0; seed < seeds; seed++)
            {
                string name = $"model.width={w},seed={seed}";
                cells.Add((name, new() { ["model.width"] = w, ["seed"] = seed }));
                Create(w, (ulong)seed, tasks, kernels: kernels).Write(Path.Combine(folder, name));
            }
        FakeRun.WriteCells(folder, cells);
        return folder;
    }

    private static double[,] Normal(Rng rng, int rows, int cols, double std)
    {
        var m = new double[rows, cols];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++)
                m[i, j] = std * rng.NextNormal();
        return m;
    }
}
