using System.Diagnostics;

namespace NtkDynamics.Tests.Experiments;

/// <summary>Runs the built `ntk` as a child process, as a user would (its own OpenBLAS, threads and memory).</summary>
internal static class NtkProcess
{
    private static string Dll => Path.Combine(AppContext.BaseDirectory, "ntk.dll");

    private static ProcessStartInfo Info(string[] args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) psi.Environment[name] = value;
        psi.ArgumentList.Add(Dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        return psi;
    }

    /// <summary>Starts `ntk ARGS` with its output captured (read it or leave it: it goes to a buffer, not a pipe that fills).</summary>
    public static Process Start(params string[] args)
    {
        var p = Process.Start(Info(args))!;
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    /// <summary>Runs `ntk ARGS` to the end; asserts it exits 0; returns what it printed.</summary>
    public static (string Stdout, string Stderr) Run(params string[] args) => RunWith(null, args);

    /// <summary><see cref="Run"/> with these environment variables set (added to, or replacing, the test's own).</summary>
    public static (string Stdout, string Stderr) RunWith(IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        using var p = Process.Start(Info(args, environment))!;
        var stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"ntk {string.Join(' ', args)} exited {p.ExitCode}: {stderr.Result}");
        return (stdout, stderr.Result);
    }

    /// <summary>Starts `ntk ARGS` and kills it (kill -9) once <paramref name="ready"/> holds, polling every 5 ms for at
    /// most a minute; returns whether the kill landed before the process ended by itself.</summary>
    public static bool KillWhen(Func<bool> ready, params string[] args)
    {
        using var p = Start(args);
        var clock = Stopwatch.StartNew();
        while (!p.HasExited && clock.Elapsed.TotalSeconds < 60 && !ready()) Thread.Sleep(5);
        bool killed = false;
        if (!p.HasExited) { p.Kill(entireProcessTree: true); killed = true; }
        p.WaitForExit();
        return killed;
    }
}
