using System.Globalization;
using System.Text.Json;
using NtkDynamics.Nn.Layers;
using NtkDynamics.Tensors;

namespace NtkDynamics.Bench;

/// <summary>
/// The CIFAR ResNet-18 (ModelSpec.ResNet18(nf, 3, 32, 10)) beside PyTorch 1.13 / functorch (bench/torch/bench_resnet.py) in
/// one run, `resnet [--rounds R] [--train-rounds T] [--only entk|train] [--nf N] [--budget-gib B] [--ntkvp] [--no-torch]` (R
/// default 1, about 16 minutes on the loaded 2-core host; --nf keeps one width's cases, --budget-gib sets our eNTK's work
/// memory, NtkOptions.MemoryBudgetBytes, default 3 GiB). Each round: the sgemm peak here
/// (2048³, 2 threads), then the cases in groups (eNTK nf 20, eNTK nf 64, training nf 20, nf 64; training in the first T
/// rounds only, default 1: it takes most of the time), each group ours, every case in its own child process (2 threads,
/// peak RSS by VmHWM reset once model and data exist), then PyTorch's for it, each in its own subprocess. eNTK: probe n = 32, 3x32x32, k = 10, evaluation mode, nf 20 trace and full, nf 64 trace; a warm-up
/// call, the median of 3 (EntkBench's protocol), against functorch's faster method: jac-KIND, or ntkvp-full with --ntkvp
/// (left out by default: on 2026-12-04 it took 476 s for the nf 20 kernel where jac-full took 21 s, and once it runs over
/// 60 s it is a single call). Training: SGD
/// lr 0.01 at batch 128, BatchNorm in training mode, epochs of 512 (nf 20) and 256 (nf 64) images as bench_resnet.py's, a
/// warm-up epoch, the median of 3 -> images/s. The table: medians over the rounds; the time ratio is the median of the
/// rounds' ratios (each within its round) with their range; GFLOP/s counts our GEMM and direct convolution work per call
/// (or per image) over our median time, against the median sgemm peak of the rounds; then the issue's targets, met or not.
/// </summary>
public static class ResNetBench
{
    private static readonly (int Nf, string Kind)[] EntkCases = [(20, "trace"), (20, "full"), (64, "trace")];
    private static readonly (int Nf, int EpochImages)[] TrainCases = [(20, 512), (64, 256)];

    /// <summary>A training child's measurement: images/s, GEMM flops per image (forward, backward, weight gradients).</summary>
    internal sealed record TrainResult(long Params, double ImagesPerS, double FlopsPerImage, double BaseMb, double PeakMb, string? Error = null);

    /// <summary>One row of a round: ours (time s or images/s, peak MB, GFLOP) and PyTorch's (value, method, peak MB).</summary>
    private sealed record Cell(double? Ours, double? OursMb, double Flops, long Params, string? Error, double? Torch, string Method, double? TorchMb);

    public static void Run(string[] args)
    {
        string? Option(string name) => Array.IndexOf(args, name) is int at && at >= 0 && at + 1 < args.Length ? args[at + 1] : null;
        int rounds = Math.Max(1, int.Parse(Option("--rounds") ?? "1", CultureInfo.InvariantCulture));
        int trainRounds = int.Parse(Option("--train-rounds") ?? "1", CultureInfo.InvariantCulture);
        string only = Option("--only") ?? "";
        bool noTorch = args.Contains("--no-torch"), ntkvp = args.Contains("--ntkvp");
        int? onlyNf = Option("--nf") is { } nfText ? int.Parse(nfText, CultureInfo.InvariantCulture) : null;
        double? budget = Option("--budget-gib") is { } budgetText ? double.Parse(budgetText, CultureInfo.InvariantCulture) : null;
        var entk = only is "train" ? [] : EntkCases.Where(c => onlyNf is null || c.Nf == onlyNf).ToArray();
        var train = only is "entk" ? [] : TrainCases.Where(c => onlyNf is null || c.Nf == onlyNf).ToArray();
        string cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name"))?.Split(':', 2)[1].Trim() ?? "?";
        Console.WriteLine($"# ResNet-18 (CIFAR, 3x32x32, 10 classes) {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; {cpu}, {Environment.ProcessorCount} cores; " +
            $"ours: {Blas.Describe(Blas.Native)} in the cases, every case in a child process, eNTK work memory {(budget is double b ? $"{b} GiB" : "3 GiB (default)")}; torch: bench/torch/bench_resnet.py; {rounds} round(s)");
        if (Blas.Native is OpenBlas open) open.SetThreads(EntkBench.Threads);
        var peaks = new List<double>();
        var rows = new Dictionary<string, List<Cell>>();
        void Add(string name, Cell c) => (rows.TryGetValue(name, out var l) ? l : rows[name] = []).Add(c);
        for (int round = 1; round <= rounds; round++)
        {
            double peak = GemmBench.Gflops(Blas.Native, 2048, 2048, 2048);
            peaks.Add(peak);
            Console.WriteLine($"  round {round}: load {TorchReference.Load()}; sgemm 2048^3 {peak:F1} GFLOP/s ({Blas.Native.Threads} threads)");
            // Cases in groups, each group's cases of ours and then PyTorch's for them, so that a change of the host's load
            // falls on both sides of a ratio as far as possible.
            var groups = entk.GroupBy(c => c.Nf).Select(g => (Torch: $"entk resnet18 w{g.Key}", Entk: g.ToArray(), Train: (int?)null))
                .Concat(round <= trainRounds ? train.Select(t => (Torch: $"train resnet18 w{t.Nf}", Entk: Array.Empty<(int, string)>(), Train: (int?)t.Nf)) : []);
            foreach (var group in groups)
            {
                var ours = new List<(string Name, Cell Cell)>();
                foreach (var (nf, kind) in group.Entk)
                {
                    var r = EntkBench.Child("resnet18", nf, kind, budget);
                    Console.WriteLine(r.Error is { } e ? $"  ours | entk resnet18 w{nf} {kind}: ERROR {e}"
                        : $"  ours | entk resnet18 w{nf} {kind}: P={r.Params:N0} {r.TimeS:F3} s (reps {r.Reps}, first {r.FirstS:F2}) peakRSS {r.PeakMb:F0} MB " +
                          $"(base {r.BaseMb:F0}) {r.Flops / 1e9:F1} GFLOP");
                    ours.Add(($"entk w{nf} {kind}", r.Error is null ? new Cell(r.TimeS, r.PeakMb, r.Flops, r.Params, null, null, "-", null)
                        : new Cell(null, null, 0, 0, r.Error, null, "-", null)));
                }
                if (group.Train is int trainNf)
                {
                    int images = TrainCases.First(t => t.Nf == trainNf).EpochImages;
                    var (line, error) = EntkBench.ChildLine(["resnet-train-case", trainNf.ToString(), images.ToString()]);
                    var r = line is null ? null : JsonSerializer.Deserialize<TrainResult>(line);
                    Console.WriteLine(r is null ? $"  ours | train resnet18 w{trainNf}: ERROR {error}"
                        : $"  ours | train resnet18 w{trainNf}: P={r.Params:N0} {r.ImagesPerS:F1} img/s peakRSS {r.PeakMb:F0} MB (base {r.BaseMb:F0}) " +
                          $"{r.FlopsPerImage / 1e9:F3} GFLOP/image");
                    ours.Add(($"train w{trainNf}", r is null ? new Cell(null, null, 0, 0, error, null, "-", null)
                        : new Cell(r.ImagesPerS, r.PeakMb, r.FlopsPerImage, r.Params, null, null, "-", null)));
                }
                var torch = noTorch ? [] : TorchReference.Run(group.Torch, resnet: true, skip: ntkvp ? null : "ntkvp");
                foreach (var (name, cell) in ours)
                {
                    var parts = name.Split(' ');
                    int nf = int.Parse(parts[1][1..], CultureInfo.InvariantCulture);
                    var (method, value, mb) = parts[0] == "entk" ? EntkBench.TorchBest(torch, "resnet18", nf, parts[2])
                        : ("pytorch", TorchReference.Number(torch, $"train resnet18 w{nf}", "images_per_s"), TorchReference.Number(torch, $"train resnet18 w{nf}", "peak_rss_mb"));
                    Add(name, cell with { Torch = value, Method = method, TorchMb = mb });
                }
            }
        }

        double sgemm = EntkBench.Median(peaks)!.Value;
        Console.WriteLine();
        Console.WriteLine($"sgemm peak (median of the rounds): {sgemm:F1} GFLOP/s; load now {TorchReference.Load()}");
        Console.WriteLine($"{"case",-16} {"params",11} {"ours",9} {"torch",9} {"torch method",-12} {"speed ours/torch",16} {"range",12} " +
            $"{"ours MB",8} {"torch MB",9} {"mem torch/ours",14} {"GFLOP/s",8} {"of peak",7}  target");
        foreach (var (name, cells) in rows)
        {
            bool isTrain = name.StartsWith("train");
            // Speed ours/torch within each round: functorch's time over ours, or our images/s over PyTorch's.
            var speed = cells.Where(c => c.Ours is not null && c.Torch is not null)
                .Select(c => isTrain ? c.Ours!.Value / c.Torch!.Value : c.Torch!.Value / c.Ours!.Value).Order().ToList();
            var memory = cells.Where(c => c.OursMb is not null && c.TorchMb is not null).Select(c => c.TorchMb!.Value / c.OursMb!.Value).ToList();
            double? ours = EntkBench.Median(cells.Select(c => c.Ours)), speedMedian = EntkBench.Median(speed), memoryMedian = EntkBench.Median(memory);
            var good = cells.FirstOrDefault(c => c.Error is null);
            double gflops = ours is null || good is null ? double.NaN : isTrain ? good.Flops * ours.Value / 1e9 : good.Flops / ours.Value / 1e9;
            string format = isTrain ? "F1" : "F3";
            Console.WriteLine($"{(isTrain ? name + " img/s" : name + " s"),-16} {good?.Params ?? 0,11:N0} {EntkBench.Fmt(ours, format),9} " +
                $"{EntkBench.Fmt(EntkBench.Median(cells.Select(c => c.Torch)), format),9} {cells[0].Method,-12} {Ratio(speedMedian),16} " +
                $"{(speed.Count > 1 ? $"{speed[0]:F2}-{speed[^1]:F2}x" : "-"),12} {EntkBench.Fmt(EntkBench.Median(cells.Select(c => c.OursMb)), "F0"),8} " +
                $"{EntkBench.Fmt(EntkBench.Median(cells.Select(c => c.TorchMb)), "F0"),9} {Ratio(memoryMedian),14} {gflops,8:F1} {100 * gflops / sgemm,6:F0}%  " +
                Target(name, speedMedian, memoryMedian));
            foreach (var c in cells.Where(c => c.Error is not null)) Console.WriteLine($"  ERROR {c.Error}");
        }
        Console.WriteLine($"torch method: functorch's faster of its jacobian contraction (jac-KIND){(ntkvp ? " and NTK-vector products (ntkvp-full, nf 20 only)" : ", NTK-vector products left out (--ntkvp)")}; " +
            "speed: functorch's time / ours (eNTK), our images/s / PyTorch's (training), the median of the rounds' ratios; MB: peak RSS of the case's process");
    }

    private static string Ratio(double? v) => v is null ? "-" : $"{v:F2}x";

    /// <summary>The issue's target for the case and whether the medians meet it.</summary>
    private static string Target(string name, double? speed, double? memory)
    {
        static string Met(bool? ok) => ok switch { true => "met", false => "NOT met", null => "not measured" };
        return name switch
        {
            "entk w20 trace" or "entk w20 full" => $">= 3x faster in <= 1/2 the memory: {Met(speed is null || memory is null ? null : speed >= 3 && memory >= 2)}",
            "entk w64 trace" => $">= 3x faster: {Met(speed is null ? null : speed >= 3)}",
            _ => $">= 1.0x PyTorch's images/s: {Met(speed is null ? null : speed >= 1)}",
        };
    }

    /// <summary>The child: `resnet-train-case NF IMAGES` times training steps and prints "RESULT {json}".</summary>
    public static void RunTrainCase(string[] args)
    {
        var model = EntkBench.Build("resnet18", int.Parse(args[0], CultureInfo.InvariantCulture));
        int images = int.Parse(args[1], CultureInfo.InvariantCulture);
        const int epochs = 3;
        var counter = new EntkBench.CountingBlas(Blas.Native);
        using var _ = Blas.Use(counter);
        long conv0 = Conv2d.DirectFlops;
        double baseMb = 0;
        double ips = TrainBench.ImagesPerSecond(model, images, epochs, () =>
        {
            EntkBench.ResetPeak();
            baseMb = EntkBench.Status("VmRSS");
        });
        var r = new TrainResult(model.ParameterCount, ips, (counter.Flops + Conv2d.DirectFlops - conv0) / ((epochs + 1.0) * images), baseMb, EntkBench.Status("VmHWM"));
        Console.WriteLine("RESULT " + JsonSerializer.Serialize(r));
    }
}
