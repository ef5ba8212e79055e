using System.Diagnostics;
using System.Text.Json;

namespace NtkDynamics.Bench;

/// <summary>Runs ../shared/bench/bench_torch.py (PyTorch 1.13, 2 threads) for the named configurations and returns its results by name.</summary>
public static class TorchReference
{
    public static string? Script() =>
        FindUp(Path.Combine("..", "shared", "bench", "bench_torch.py")) ?? FindUp(Path.Combine("shared", "bench", "bench_torch.py"));

    /// <summary>The full path of <paramref name="relative"/> under the nearest folder above this program's that has it, or null.</summary>
    internal static string? FindUp(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, relative))) return Path.GetFullPath(Path.Combine(dir.FullName, relative));
        return null;
    }

    /// <summary>The 1-minute load average (/proc/loadavg), for the benches' headers.</summary>
    internal static string Load() => File.ReadAllText("/proc/loadavg").Split(' ')[0];

    /// <summary>
    /// Name ("train cnn w64", "entk cnn w64 jac-trace") -> result object; empty when torch or the script is missing.
    /// <paramref name="resnet"/>: bench/torch/bench_resnet.py (its names "train resnet18 w20", "entk resnet18 w20 jac-trace")
    /// with ../shared/bench's helpers, instead of bench_torch.py; <paramref name="skip"/>: its cases whose names contain it are not run.
    /// </summary>
    public static Dictionary<string, JsonElement> Run(string only, bool quick = false, bool resnet = false, string? skip = null)
    {
        var shared = Script();
        var script = resnet ? FindUp(Path.Combine("bench", "torch", "bench_resnet.py")) : shared;
        if (script is null || shared is null || !File.Exists("/usr/bin/python3"))
        {
            Console.WriteLine($"# PyTorch reference not found ({(resnet ? "bench/torch/bench_resnet.py, " : "")}../shared/bench/bench_torch.py, /usr/bin/python3): ratios skipped");
            return [];
        }
        var outFile = Path.GetTempFileName();
        var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true };
        foreach (var a in new[] { script, "--only", only, "--out", outFile }) psi.ArgumentList.Add(a);
        if (resnet) foreach (var a in new[] { "--bench", Path.GetDirectoryName(shared)! }) psi.ArgumentList.Add(a);
        if (skip is not null) foreach (var a in new[] { "--skip", skip }) psi.ArgumentList.Add(a);
        if (quick) psi.ArgumentList.Add("--quick");
        using var p = Process.Start(psi)!;
        while (p.StandardOutput.ReadLine() is { } line) Console.WriteLine($"  torch| {line}");
        p.WaitForExit();
        var result = new Dictionary<string, JsonElement>();
        if (p.ExitCode != 0 || new FileInfo(outFile).Length == 0) return result;
        using var doc = JsonDocument.Parse(File.ReadAllText(outFile));
        foreach (var r in doc.RootElement.GetProperty("results").EnumerateArray())
            result[r.GetProperty("name").GetString()!] = r.GetProperty("result").Clone();
        File.Delete(outFile);
        return result;
    }

    public static double? Number(Dictionary<string, JsonElement> results, string name, string field) =>
        results.TryGetValue(name, out var r) && r.TryGetProperty(field, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;
}
