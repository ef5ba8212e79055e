using System.Diagnostics;
using NtkDynamics.Nn;
using NtkDynamics.Ntk;
using NtkDynamics.Onnx;
using NtkDynamics.Tensors;

namespace NtkDynamics.Bench;

/// <summary>
/// ONNX import. Load: exports an untrained CIFAR ResNet-18 of width nf with PyTorch (tests/fixtures-src/make_onnx_fixtures.py
/// --resnet18, the documented call) into a temporary file and times <see cref="OnnxModel.Load"/> and the layer graph with
/// its weights (<see cref="OnnxModel.ToModel"/>): the first load in this process (the code compiled on the way, as for a
/// user's `ntk` command) and the median of rounds after it. eNTK: the imported ResNet-18 (nf --entk-nf) and paper CNN
/// (width --cnn-width, 3x32x32) against the built-in architectures loaded with the same weights, trace kernel of a probe,
/// rounds alternating between the two, the median time of each and of the per-round ratio imported / built-in.
/// </summary>
public static class OnnxBench
{
    public static void Run(string[] args)
    {
        int nf = Option(args, "--nf", 64), rounds = Option(args, "--rounds", 5);
        string file = Path.Combine(Path.GetTempPath(), $"ntk-bench-resnet18-nf{nf}.onnx");
        Export(["--resnet18", nf.ToString(), file]);
        Console.WriteLine($"# onnx load: ResNet-18 nf {nf}, {new FileInfo(file).Length / 1e6:F1} MB, load {TorchReference.Load()}");
        var first = Stopwatch.StartNew();
        var onnx = OnnxModel.Load(file);
        double firstRead = first.Elapsed.TotalSeconds;
        onnx.ToModel();
        double firstTotal = first.Elapsed.TotalSeconds;
        var read = new List<double>();
        var total = new List<double>();
        for (int r = 0; r < rounds; r++)
        {
            var watch = Stopwatch.StartNew();
            onnx = OnnxModel.Load(file);
            read.Add(watch.Elapsed.TotalSeconds);
            onnx.ToModel();
            total.Add(watch.Elapsed.TotalSeconds);
        }
        File.Delete(file);
        Console.WriteLine($"{onnx}");
        Console.WriteLine($"read:                first {firstRead:F3} s, then median {Median(read):F3} s over {rounds} rounds");
        Console.WriteLine($"read + layer graph:  first {firstTotal:F3} s, then median {Median(total):F3} s (min {total.Min():F3}, max {total.Max():F3}); target < 1 s");

        int entkNf = Option(args, "--entk-nf", 20), cnnWidth = Option(args, "--cnn-width", 64), entkRounds = Option(args, "--entk-rounds", 3);
        Console.WriteLine($"# eNTK, trace, imported vs built-in with the same weights, {entkRounds} alternating rounds, {Blas.Describe(Blas.Native)}");
        Entk($"ResNet-18 nf {entkNf}", ["--resnet18", entkNf.ToString()], ModelSpec.ResNet18(entkNf, 3, 32, 10), 8, entkRounds);
        Entk($"CNN width {cnnWidth}", ["--cnn", cnnWidth.ToString()], ModelSpec.Cnn(cnnWidth, 3, 32, 10), 32, entkRounds);
    }

    private static void Entk(string what, string[] export, ModelSpec spec, int n, int rounds)
    {
        string file = Path.Combine(Path.GetTempPath(), $"ntk-bench-{export[0].TrimStart('-')}-{export[1]}.onnx");
        Export([.. export, file]);
        var imported = OnnxModel.Load(file).ToModel();
        File.Delete(file);
        var builtIn = spec.Build(Parametrisation.Parse("standard"), 0);
        builtIn.LoadStateDict(imported.StateDict(), file);
        var probe = new Tensor([n, .. builtIn.InputShape]);
        new Rng(1).FillNormal(probe.Data, 1);
        var options = new NtkOptions(NtkKind.Trace);
        double Time(Model m)
        {
            var watch = Stopwatch.StartNew();
            EmpiricalNtk.Compute(m, probe, options);
            return watch.Elapsed.TotalSeconds;
        }
        Time(imported); Time(builtIn); // warm-up
        var (ours, theirs, ratios) = (new List<double>(), new List<double>(), new List<double>());
        for (int r = 0; r < rounds; r++)
        {
            double a = Time(imported), b = Time(builtIn);
            ours.Add(a); theirs.Add(b); ratios.Add(a / b);
        }
        Console.WriteLine($"{what,-18} n={n}: imported {Median(ours):F3} s, built-in {Median(theirs):F3} s, ratio imported/built-in {Median(ratios):F3} (range {ratios.Min():F3}-{ratios.Max():F3})");
    }

    private static double Median(List<double> v) => v.Order().ElementAt(v.Count / 2);

    private static void Export(string[] args)
    {
        string script = TorchReference.FindUp(Path.Combine("tests", "fixtures-src", "make_onnx_fixtures.py"))
            ?? throw new InvalidOperationException("tests/fixtures-src/make_onnx_fixtures.py not found above the bench");
        string bench = Path.GetDirectoryName(TorchReference.Script() ?? throw new InvalidOperationException("../shared/bench not found"))!;
        var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardError = true };
        string[] all = [script, "--bench", bench, .. args];
        foreach (var a in all) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0 || !File.Exists(args[^1])) throw new InvalidOperationException($"the PyTorch export failed (exit {p.ExitCode})");
    }


    private static int Option(string[] args, string name, int fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1]) : fallback;
    }
}
