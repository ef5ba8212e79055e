using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using NtkDynamics.Nn;
using NtkDynamics.Nn.Layers;
using NtkDynamics.Ntk;
using NtkDynamics.Tensors;

namespace NtkDynamics.Bench;

/// <summary>
/// The empirical NTK (n = 32 probe, k = 10 logits), the protocol of bench_torch.py: every case in its own child process
/// (a clean peak RSS: VmHWM after resetting it once model and probe exist), a warm-up call, then the median of 3 calls
/// (1 call if the first took over 8 s; the first alone if over 60 s), 2 threads. `entk` runs the paper CNN (3x32x32)
/// and the MLP 784-w-w-10, trace and full, then PyTorch's reference, and prints both with ratios. `entk-wide` runs the
/// CNN at width 2048 (trace) and reports GEMM GFLOP/s against the machine's sgemm peak.
/// </summary>
public static class EntkBench
{
    internal const int N = 32, Threads = 2;

    /// <summary>One measurement of a child process; flops of the first call by kernel: BLAS GEMMs, gathered GEMMs, symmetric Grams.</summary>
    internal sealed record Result(long Params, double TimeS, double FirstS, int Reps, double BaseMb, double PeakMb, double Flops,
        Dictionary<string, string> Methods, string? Error = null, double BlasFlops = 0, double GatherFlops = 0, double GramFlops = 0,
        double ConvFlops = 0);

    internal static Model Build(string model, int width) => (model switch
    {
        "cnn" => ModelSpec.Cnn(width, 3, 32, 10),
        "resnet18" => ModelSpec.ResNet18(width, 3, 32, 10),
        _ => ModelSpec.Mlp([784], [width, width], 10),
    }).Build(Parametrisation.Parse("standard"), 0);

    /// <summary>The benches' probe: N standard-normal images (seed 1) of the model's input shape.</summary>
    internal static Tensor Probe(Model model)
    {
        var x = new Tensor([N, .. model.InputShape]);
        new Rng(1).FillNormal(x.Data, 1);
        return x;
    }

    /// <summary>
    /// `entk [--quick] [--no-torch] [--only cnn|mlp] [--repeat R]`: our cases, then PyTorch's, R rounds of both (this host is
    /// noisy), then the table: medians over the rounds, each round's ratio taken within the round, and their range.
    /// </summary>
    public static void Run(string[] args)
    {
        bool quick = args.Contains("--quick"), noTorch = args.Contains("--no-torch");
        string? Option(string name) => Array.IndexOf(args, name) is int at && at >= 0 && at + 1 < args.Length ? args[at + 1] : null;
        string? only = Option("--only");
        int rounds = Math.Max(1, int.Parse(Option("--repeat") ?? "1", CultureInfo.InvariantCulture));
        int[] cnnWidths = only is "mlp" ? [] : quick ? [16, 32] : [16, 32, 64, 128, 256];
        int[] mlpWidths = only is "cnn" ? [] : quick ? [256] : [256, 1024, 4096];
        var cases = cnnWidths.Select(w => ("cnn", w)).Concat(mlpWidths.Select(w => ("mlp", w)))
            .SelectMany(c => new[] { (Model: c.Item1, Width: c.w, Kind: "trace"), (Model: c.Item1, Width: c.w, Kind: "full") }).ToList();
        Console.WriteLine($"# eNTK n={N} k=10; ours: {Blas.Describe(Blas.Native)}, {Threads} threads, every case in a child process; {rounds} round(s)");
        var ours = cases.ToDictionary(c => c, _ => new List<Result>());
        var theirs = cases.ToDictionary(c => c, _ => new List<(string Method, double? TimeS, double? PeakMb)>());
        for (int round = 1; round <= rounds; round++)
        {
            foreach (var c in cases)
            {
                var r = Child(c.Model, c.Width, c.Kind);
                ours[c].Add(r);
                Console.WriteLine(r.Error is { } e ? $"  ours | entk {c.Model} w{c.Width} {c.Kind}: ERROR {e}"
                    : $"  ours | entk {c.Model} w{c.Width} {c.Kind}: P={r.Params:N0} {r.TimeS:F3} s (reps {r.Reps}, first {r.FirstS:F2}) " +
                      $"peakRSS {r.PeakMb:F0} MB (base {r.BaseMb:F0}) [{string.Join(" ", r.Methods.Select(m => $"{m.Key}:{m.Value}"))}]");
            }
            var torch = noTorch ? [] : TorchReference.Run(only is null ? "entk" : $"entk {only}", quick);
            foreach (var c in cases) theirs[c].Add(TorchBest(torch, c.Model, c.Width, c.Kind));
        }

        Console.WriteLine();
        Console.WriteLine($"{"model",-5} {"width",5} {"kind",-5} {"params",11} {"ours s",9} {"torch s",9} {"torch method",-12} {"time torch/ours",15} " +
            $"{"range",13} {"ours MB",8} {"torch MB",9} {"mem torch/ours",14}");
        foreach (var c in cases)
        {
            var mine = ours[c];
            var other = theirs[c];
            var ok = Enumerable.Range(0, rounds).Where(i => mine[i].Error is null && other[i].TimeS is not null).ToList();
            var time = ok.Select(i => other[i].TimeS!.Value / mine[i].TimeS).Order().ToList();
            var memory = ok.Where(i => other[i].PeakMb is not null).Select(i => other[i].PeakMb!.Value / mine[i].PeakMb);
            string Ratio(double? v) => v is null ? "-" : $"{v:F2}x";
            string range = time.Count > 1 ? $"{time[0]:F2}-{time[^1]:F2}x" : "-";
            var good = mine.Where(r => r.Error is null).ToList();
            double? oursS = Median(good.Select(r => r.TimeS)), oursMb = Median(good.Select(r => r.PeakMb));
            Console.WriteLine($"{c.Model,-5} {c.Width,5} {c.Kind,-5} {mine[0].Params,11:N0} {(oursS is null ? "error" : Fmt(oursS, "F3")),9} " +
                $"{Fmt(Median(other.Select(o => o.TimeS)), "F3"),9} {other[0].Method,-12} {Ratio(Median(time)),15} {range,13} " +
                $"{Fmt(oursMb, "F0"),8} {Fmt(Median(other.Select(o => o.PeakMb)), "F0"),9} {Ratio(Median(memory)),14}");
        }
        Console.WriteLine("torch method: the faster of its jacobian contraction for this kind (jac-*) and NTK-vector products (ntkvp-full; its trace comes from the full kernel)");
        if (rounds > 1) Console.WriteLine("ours s, torch s, MB: medians over the rounds; time torch/ours: the median of the rounds' ratios, range: their least and greatest");
    }

    /// <summary>The median of the values present; null when there are none.</summary>
    internal static double? Median(IEnumerable<double?> values)
    {
        var v = values.OfType<double>().Order().ToArray();
        if (v.Length == 0) return null;
        return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }

    internal static double? Median(IEnumerable<double> values) => Median(values.Select(v => (double?)v));

    internal static string Fmt(double? v, string format) => v?.ToString(format, CultureInfo.InvariantCulture) ?? "-";

    /// <summary>PyTorch's fastest method for this kernel: jac-{kind} or ntkvp-full (when run), with its time and peak RSS.</summary>
    internal static (string Method, double? TimeS, double? PeakMb) TorchBest(Dictionary<string, JsonElement> torch, string model, int width, string kind)
    {
        var best = ("-", (double?)null, (double?)null);
        foreach (var method in new[] { $"jac-{kind}", "ntkvp-full" })
        {
            string name = $"entk {model} w{width} {method}";
            if (TorchReference.Number(torch, name, "time_s") is { } t && (best.Item2 is null || t < best.Item2))
                best = (method, t, TorchReference.Number(torch, name, "peak_rss_mb"));
        }
        return best;
    }

    /// <summary>`entk-wide`: the CNN at width 2048, trace kernel, time, peak RSS and GFLOP/s against the sgemm peak.</summary>
    public static void RunWide(string[] args)
    {
        int width = args.Length > 0 && int.TryParse(args[0], out int w) ? w : 2048;
        var model = Build("cnn", width);
        Console.WriteLine($"# eNTK wide: paper CNN width {width}, trace, n={N}, k=10, {model.ParameterCount:N0} parameters; {Blas.Describe(Blas.Native)}, {Threads} threads");
        if (Blas.Native is OpenBlas open) open.SetThreads(Threads);
        double peak = GemmBench.Gflops(Blas.Native, 2048, 2048, 2048);
        Console.WriteLine($"  sgemm 2048^3 peak here: {peak:F1} GFLOP/s ({Blas.Native.Threads} threads)");
        var r = Child("cnn", width, "trace");
        if (r.Error is not null) { Console.WriteLine($"  ERROR {r.Error}"); return; }
        double gflops = r.Flops / r.TimeS / 1e9;
        Console.WriteLine($"  time {r.TimeS:F2} s (reps {r.Reps}, first {r.FirstS:F2} s), peak RSS {r.PeakMb:F0} MB (base {r.BaseMb:F0} MB)");
        Console.WriteLine($"  methods {string.Join(", ", r.Methods.Select(m => $"{m.Key} {m.Value}"))}");
        Console.WriteLine($"  work per call {r.Flops / 1e9:F1} GFLOP: OpenBLAS GEMMs {r.BlasFlops / 1e9:F1}, gathered GEMMs (pooled Jacobians " +
            $"and input gradients) {r.GatherFlops / 1e9:F1}, symmetric Grams {r.GramFlops / 1e9:F1}, direct 3x3 convolutions {r.ConvFlops / 1e9:F1}");
        Console.WriteLine($"  achieved {gflops:F1} GFLOP/s over all of it = {100 * gflops / peak:F0} % of the sgemm peak");
    }

    /// <summary>Runs one eNTK case in a child process of this benchmark (2 threads) and reads its RESULT line.</summary>
    internal static Result Child(string model, int width, string kind, double? budgetGib = null)
    {
        var (line, error) = ChildLine(["entk-case", model, width.ToString(), kind, .. budgetGib is double b ? [b.ToString(CultureInfo.InvariantCulture)] : Array.Empty<string>()]);
        return line is null ? new Result(0, double.NaN, double.NaN, 0, double.NaN, double.NaN, 0, [], error)
            : JsonSerializer.Deserialize<Result>(line)!;
    }

    /// <summary>Runs this benchmark with <paramref name="args"/> in a child process (2 threads): its RESULT line, or why there is none.</summary>
    internal static (string? Line, string? Error) ChildLine(string[] args)
    {
        string? self = Environment.ProcessPath;
        var psi = new ProcessStartInfo(self!) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet") psi.ArgumentList.Add(typeof(EntkBench).Assembly.Location);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_PROCESSOR_COUNT"] = Threads.ToString();
        psi.Environment["OPENBLAS_NUM_THREADS"] = Threads.ToString();
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        string? line = null;
        while (p.StandardOutput.ReadLine() is { } l) if (l.StartsWith("RESULT ")) line = l[7..];
        p.WaitForExit();
        return (line, line is null ? $"exit {p.ExitCode} (137 = killed, likely out of memory): {Tail(stderr.Result)}" : null);
    }

    private static string Tail(string s) => s.Length > 300 ? s[^300..] : s;

    /// <summary>The child: `entk-case MODEL WIDTH KIND [BUDGET_GIB]` measures one case and prints "RESULT {json}".</summary>
    public static void RunCase(string[] args)
    {
        var model = Build(args[0], int.Parse(args[1]));
        var probe = Probe(model);
        var options = new NtkOptions(NtkOptions.ParseKind(args[2]));
        if (args.Length > 3) options = options with { MemoryBudgetBytes = (long)(double.Parse(args[3], CultureInfo.InvariantCulture) * (1L << 30)) };
        var counter = new CountingBlas(Blas.Native);
        using var _ = Blas.Use(counter);
        ResetPeak();
        double baseMb = Status("VmRSS");
        NtkKernel kernel = null!;
        double Call()
        {
            var sw = Stopwatch.StartNew();
            kernel = EmpiricalNtk.Compute(model, probe, options);
            return sw.Elapsed.TotalSeconds;
        }
        double gather0 = GatherGemm.Flops, gram0 = SymmetricGram.Flops, conv0 = Conv2d.DirectFlops;
        double first = Call();
        double blas = counter.Flops, gather = GatherGemm.Flops - gather0, gram = SymmetricGram.Flops - gram0, conv = Conv2d.DirectFlops - conv0;
        double[] times = first > 60 ? [first] : Enumerable.Range(0, first > 8 ? 1 : 3).Select(_ => Call()).Order().ToArray();
        var r = new Result(model.ParameterCount, times[times.Length / 2], first, first > 60 ? 0 : times.Length, baseMb,
            Status("VmHWM"), blas + gather + gram + conv, kernel.Methods.ToDictionary(), null, blas, gather, gram, conv);
        Console.WriteLine("RESULT " + JsonSerializer.Serialize(r));
    }

    /// <summary>MiB of a /proc/self/status entry (VmRSS, VmHWM).</summary>
    internal static double Status(string key)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith(key + ":")) return double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
        return double.NaN;
    }

    /// <summary>Resets VmHWM to the current RSS (echo 5 &gt; /proc/self/clear_refs); where that is refused the peak is the whole process's.</summary>
    internal static void ResetPeak()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"peak RSS not reset ({e.Message}): it includes model and probe creation");
        }
    }

    /// <summary>Passes GEMMs to <paramref name="inner"/> and counts their flops (2·m·n·k each).</summary>
    internal sealed unsafe class CountingBlas(IBlas inner) : IBlas
    {
        private long _flops;

        public double Flops => Interlocked.Read(ref _flops);
        public string Name => inner.Name;
        public string? LibraryPath => inner.LibraryPath;
        public int Threads => inner.Threads;

        public void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
        {
            Interlocked.Add(ref _flops, 2L * m * n * k);
            inner.Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        }

        public void Dgemm(bool transA, bool transB, int m, int n, int k, double alpha, double* a, int lda, double* b, int ldb, double beta, double* c, int ldc)
        {
            Interlocked.Add(ref _flops, 2L * m * n * k);
            inner.Dgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        }

    }
}
