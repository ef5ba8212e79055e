using System.Diagnostics;
using NtkDynamics.Onnx;

namespace NtkDynamics.Bench;

/// <summary>
/// ONNX import: exports an untrained CIFAR ResNet-18 of width nf with PyTorch (tests/fixtures-src/make_onnx_fixtures.py
/// --resnet18, the documented call) into a temporary file and times <see cref="OnnxModel.Load"/> on it: the first load
/// in this process (the code compiled on the way, as for a user's `ntk` command) and the median of rounds after it.
/// </summary>
public static class OnnxBench
{
    public static void Run(string[] args)
    {
        int nf = Option(args, "--nf", 64), rounds = Option(args, "--rounds", 5);
        string file = Path.Combine(Path.GetTempPath(), $"ntk-bench-resnet18-nf{nf}.onnx");
        Export(nf, file);
        Console.WriteLine($"# onnx load: ResNet-18 nf {nf}, {new FileInfo(file).Length / 1e6:F1} MB, load {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
        var first = Stopwatch.StartNew();
        var model = OnnxModel.Load(file);
        double firstSeconds = first.Elapsed.TotalSeconds;
        var seconds = new List<double>();
        for (int r = 0; r < rounds; r++)
        {
            var watch = Stopwatch.StartNew();
            model = OnnxModel.Load(file);
            seconds.Add(watch.Elapsed.TotalSeconds);
        }
        seconds.Sort();
        Console.WriteLine($"{model}");
        Console.WriteLine($"load: first {firstSeconds:F3} s, then median {seconds[rounds / 2]:F3} s (min {seconds[0]:F3}, max {seconds[^1]:F3}) over {rounds} rounds; target < 1 s");
        File.Delete(file);
    }

    private static void Export(int nf, string file)
    {
        string script = FindUp(Path.Combine("tests", "fixtures-src", "make_onnx_fixtures.py"))
            ?? throw new InvalidOperationException("tests/fixtures-src/make_onnx_fixtures.py not found above the bench");
        string bench = Path.GetDirectoryName(TorchReference.Script() ?? throw new InvalidOperationException("../shared/bench not found"))!;
        var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardError = true };
        foreach (var a in new[] { script, "--bench", bench, "--resnet18", nf.ToString(), file }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0 || !File.Exists(file)) throw new InvalidOperationException($"the PyTorch export failed (exit {p.ExitCode})");
    }

    private static string? FindUp(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, relative))) return Path.Combine(dir.FullName, relative);
        return null;
    }

    private static int Option(string[] args, string name, int fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1]) : fallback;
    }
}
