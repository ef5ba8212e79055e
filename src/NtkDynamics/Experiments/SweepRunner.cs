using System.Diagnostics;

namespace NtkDynamics.Experiments;

/// <summary>
/// Runs a sweep's cells on this machine with N worker processes (<c>ntk sweep run-cell</c>, the same entry point a Slurm array task
/// uses). A finished cell is skipped, so running the sweep again resumes it; a failed cell is reported and does not stop the others.
/// Each cell's output goes to <c>logs/cell_N.log</c>; at the end the SQLite index is rebuilt.
/// </summary>
public static class SweepRunner
{
    /// <summary>Returns per cell its final state.</summary>
    public static IReadOnlyList<string> RunLocal(Sweep sweep, int workers, IReadOnlyList<string> ntkCommand, Action<string> log)
    {
        if (workers < 1) throw new InputException($"--workers: must be >= 1, got {workers}");
        sweep.Validate();
        sweep.WriteFolder();
        string logs = Path.Combine(sweep.Folder, "logs");
        Directory.CreateDirectory(logs);
        var states = sweep.States().ToArray();
        var todo = new Queue<int>(Enumerable.Range(0, sweep.Cells.Count).Where(i => states[i] != "finished"));
        log($"sweep {sweep.Name}: {sweep.Cells.Count} cells, {sweep.Cells.Count - todo.Count} already finished, {todo.Count} to run on {workers} worker(s)");
        var running = new List<(int Cell, Process Process)>();
        while (todo.Count > 0 || running.Count > 0)
        {
            while (running.Count < workers && todo.Count > 0)
            {
                int cell = todo.Dequeue();
                running.Add((cell, Start(sweep, cell, ntkCommand, Path.Combine(logs, $"cell_{cell}.log"))));
                log($"  cell {cell} ({sweep.Cells[cell].Name}) started");
            }
            Thread.Sleep(100);
            foreach (var done in running.Where(r => r.Process.HasExited).ToList())
            {
                running.Remove(done);
                done.Process.WaitForExit();
                string state = sweep.Run(done.Cell).ReadState() ?? "failed";
                states[done.Cell] = done.Process.ExitCode == 0 || state is "finished" or "diverged" ? state : "failed";
                log($"  cell {done.Cell} ({sweep.Cells[done.Cell].Name}) {states[done.Cell]}{(states[done.Cell] == "failed" ? $" (exit {done.Process.ExitCode}; see logs/cell_{done.Cell}.log)" : "")}");
                done.Process.Dispose();
            }
        }
        RunIndex.Build(sweep.Folder, Path.Combine(sweep.Folder, "index.sqlite"));
        return states;
    }

    private static Process Start(Sweep sweep, int cell, IReadOnlyList<string> ntk, string logFile)
    {
        var psi = new ProcessStartInfo(ntk[0]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in ntk.Skip(1).Concat(["sweep", "run-cell", sweep.Source, "--cell", cell.ToString(), "--quiet"])) psi.ArgumentList.Add(a);
        var p = Process.Start(psi)!;
        var writer = new StreamWriter(logFile) { AutoFlush = true };
        object gate = new();
        void Write(string? line) { if (line is not null) lock (gate) writer.WriteLine(line); }
        p.OutputDataReceived += (_, e) => Write(e.Data);
        p.ErrorDataReceived += (_, e) => Write(e.Data);
        p.Exited += (_, _) => { p.WaitForExit(); lock (gate) writer.Dispose(); };
        p.EnableRaisingEvents = true;
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    /// <summary>The words that start this same ntk program (the apphost, or dotnet + ntk.dll).</summary>
    public static IReadOnlyList<string> SelfCommand()
    {
        string process = Environment.ProcessPath ?? "dotnet";
        string dll = Path.Combine(AppContext.BaseDirectory, "ntk.dll");
        return Path.GetFileNameWithoutExtension(process) == "dotnet" || !File.Exists(process) || !process.EndsWith("ntk") ? ["dotnet", dll] : [process];
    }
}
