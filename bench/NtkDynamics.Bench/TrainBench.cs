using System.Diagnostics;
using NtkDynamics.Nn;
using NtkDynamics.Tensors;

namespace NtkDynamics.Bench;

/// <summary>
/// Training step of the paper's CNN (batch 128, 3x32x32, 10 classes, SGD lr 0.01, cross-entropy), the same protocol as
/// bench_torch.py: an epoch is 2048 images (16 steps), one warm-up epoch, median of 3 -> images/s; then PyTorch's, as ratios.
/// </summary>
public static class TrainBench
{
    public static double ImagesPerSecond(int width, int epochs = 3) =>
        ImagesPerSecond(ModelSpec.Cnn(width, 3, 32, 10).Build(Parametrisation.Parse("standard"), 0), 2048, epochs);

    /// <summary>
    /// Images/s of SGD steps (batch 128, lr 0.01, cross-entropy) on <paramref name="n"/> random images per epoch in the model's
    /// training mode: one warm-up epoch, the median of <paramref name="epochs"/>. <paramref name="ready"/> runs once model, data
    /// and optimiser exist (the bench's peak-memory reset).
    /// </summary>
    public static double ImagesPerSecond(Model m, int n, int epochs = 3, Action? ready = null)
    {
        const int b = 128;
        m.Mode = Mode.Train;
        var rng = new Rng(1);
        var data = new Tensor(n, 3, 32, 32);
        rng.FillNormal(data.Data, 1);
        var labels = Enumerable.Range(0, n).Select(_ => rng.NextInt(10)).ToArray();
        var opt = new Sgd(m.Parameters, 0.01);
        var batch = new Tensor(b, 3, 32, 32);
        var grad = new Tensor(b, 10);
        double Epoch()
        {
            var sw = Stopwatch.StartNew();
            for (int s = 0; s < n; s += b)
            {
                data.Rows(s, b).CopyTo(batch.Data);
                var logits = m.Forward(batch);
                Losses.CrossEntropy(logits, labels.AsSpan(s, b), grad);
                m.ZeroGrad();
                m.BackwardParameters(grad);
                opt.Step();
            }
            return sw.Elapsed.TotalSeconds;
        }
        ready?.Invoke();
        Epoch();
        var times = Enumerable.Range(0, epochs).Select(_ => Epoch()).Order().ToArray();
        return n / times[times.Length / 2];
    }

    public static void Run(string[] args)
    {
        bool quick = args.Contains("--quick"), noTorch = args.Contains("--no-torch");
        int[] widths = quick ? [16, 32] : [16, 32, 64, 128];
        Console.WriteLine($"# train paper CNN, batch 128, 3x32x32; {Blas.Describe(Blas.Current)}");
        var ours = widths.ToDictionary(w => w, w =>
        {
            double ips = ImagesPerSecond(w);
            Console.WriteLine($"  ours | train cnn w{w}: {ips:F1} img/s");
            return ips;
        });
        var torch = noTorch ? [] : TorchReference.Run("train cnn", quick);
        Console.WriteLine($"{"width",6} {"ours img/s",11} {"torch img/s",12} {"ratio",7}");
        foreach (int w in widths)
        {
            var t = TorchReference.Number(torch, $"train cnn w{w}", "images_per_s");
            Console.WriteLine($"{w,6} {ours[w],11:F1} {(t is null ? "-" : t.Value.ToString("F1")),12} {(t is null ? "-" : (ours[w] / t.Value).ToString("F2") + "x"),7}");
        }
    }
}
