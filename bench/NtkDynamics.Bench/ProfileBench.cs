using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using NtkDynamics.Nn;
using NtkDynamics.Ntk;
using NtkDynamics.Tensors;

namespace NtkDynamics.Bench;

/// <summary>
/// `entk-profile MODEL WIDTH KIND [CALLS [BUDGET_GIB]]`: where an eNTK call's time goes, by stopwatch. After a warm-up call, CALLS calls
/// (default 3) with every GEMM timed and counted by its caller (the nearest NtkDynamics frame outside Tensors: the layer
/// method or its parallel lambda), beside the forward pass alone. GEMM seconds are summed over the threads that called them
/// (GEMMs called from parallel loops overlap), so they are thread time, against the call's wall time.
/// </summary>
public static class ProfileBench
{
    public static void Run(string[] args)
    {
        var model = EntkBench.Build(args[0], int.Parse(args[1]));
        var probe = EntkBench.Probe(model);
        var options = new NtkOptions(NtkOptions.ParseKind(args[2]));
        int calls = args.Length > 3 ? int.Parse(args[3]) : 3;
        if (args.Length > 4) options = options with { MemoryBudgetBytes = (long)(double.Parse(args[4], CultureInfo.InvariantCulture) * (1L << 30)) };
        if (Blas.Native is OpenBlas open) open.SetThreads(EntkBench.Threads);
        EmpiricalNtk.Compute(model, probe, options);
        var forward = new List<double>();
        for (int i = 0; i < calls; i++)
        {
            var pass = model.NewPass(Mode.Eval);
            var w = Stopwatch.StartNew();
            pass.Forward(probe);
            forward.Add(w.Elapsed.TotalSeconds);
        }
        var timing = new TimingBlas(Blas.Native);
        var wall = new List<double>();
        using (Blas.Use(timing))
            for (int i = 0; i < calls; i++)
            {
                var w = Stopwatch.StartNew();
                EmpiricalNtk.Compute(model, probe, options);
                wall.Add(w.Elapsed.TotalSeconds);
            }
        double perCall = wall.Average();
        Console.WriteLine($"# eNTK profile: {model.Description}, {args[2]}, n={EntkBench.N}; {Blas.Describe(Blas.Native)}; load {TorchReference.Load()}");
        Console.WriteLine($"call: mean {perCall:F3} s over {calls} (min {wall.Min():F3}); forward pass alone: mean {forward.Average():F3} s");
        double gemm = timing.ByCaller.Values.Sum(v => v.Seconds) / calls;
        Console.WriteLine($"GEMMs (thread time per call): {gemm:F3} s, {timing.ByCaller.Values.Sum(v => v.Flops) / calls / 1e9:F1} GFLOP");
        Console.WriteLine($"{"caller",-70} {"calls",7} {"GFLOP",8} {"s",8} {"GFLOP/s",8}");
        foreach (var (caller, v) in timing.ByCaller.OrderByDescending(e => e.Value.Seconds))
            Console.WriteLine($"{caller,-70} {v.Calls / calls,7} {v.Flops / calls / 1e9,8:F2} {v.Seconds / calls,8:F3} {v.Flops / v.Seconds / 1e9,8:F1}");
    }

    private sealed class Totals
    {
        public long Calls, Flops, Ticks;
        public double Seconds => (double)Ticks / Stopwatch.Frequency;
    }

    /// <summary>Passes GEMMs to <paramref name="inner"/>, timing and counting them by caller.</summary>
    private sealed unsafe class TimingBlas(IBlas inner) : IBlas
    {
        private readonly ConcurrentDictionary<string, Totals> _byCaller = new();

        public IReadOnlyDictionary<string, Totals> ByCaller => _byCaller;
        public string Name => inner.Name;
        public string? LibraryPath => inner.LibraryPath;
        public int Threads => inner.Threads;

        private static string Caller()
        {
            foreach (var frame in new StackTrace(2, false).GetFrames())
            {
                var type = frame.GetMethod()?.DeclaringType;
                if (type?.Namespace is { } ns && ns.StartsWith("NtkDynamics") && ns != "NtkDynamics.Tensors" && ns != "NtkDynamics.Bench")
                    return $"{type.FullName![(ns.Length + 1)..]}.{frame.GetMethod()!.Name}";
            }
            return "(other)";
        }

        private void Record(long flops, long start)
        {
            long ticks = Stopwatch.GetTimestamp() - start;
            var t = _byCaller.GetOrAdd(Caller(), _ => new Totals());
            Interlocked.Increment(ref t.Calls);
            Interlocked.Add(ref t.Flops, flops);
            Interlocked.Add(ref t.Ticks, ticks);
        }

        public void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
        {
            long start = Stopwatch.GetTimestamp();
            inner.Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
            Record(2L * m * n * k, start);
        }

        public void Dgemm(bool transA, bool transB, int m, int n, int k, double alpha, double* a, int lda, double* b, int ldb, double beta, double* c, int ldc)
        {
            long start = Stopwatch.GetTimestamp();
            inner.Dgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
            Record(2L * m * n * k, start);
        }
    }
}
