using System.Diagnostics;

namespace NtkDynamics.Experiments;

/// <summary>
/// Runs a sweep's cells on this machine with N worker processes (<c>ntk sweep run-cell</c>, the same entry point a Slurm array task
/// uses). Every cell is checked against its data before any starts. A finished cell is skipped, so running the sweep again resumes
/// it; a failed cell is reported and does not stop the others. Each worker takes its cell's <see cref="RunLease"/>, so a cell that
/// another sweep command (or a worker left from a killed one) is running is not run twice: it is waited for, and taken over when
/// its holder dies. Each cell's output goes to <c>logs/cell_N.log</c>; the SQLite index is rebuilt after every cell and at the end.
/// </summary>
public static class SweepRunner
{
    /// <summary>The exit code of `ntk sweep run-cell` when the cell's lease is held by another process.</summary>
    public const int BusyExitCode = 3;

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
        var elsewhere = new HashSet<int>(); // cells another process holds: waited for
        var retried = new HashSet<int>();
        while (todo.Count > 0 || running.Count > 0 || elsewhere.Count > 0)
        {
            while (running.Count < workers && todo.Count > 0)
            {
                int cell = todo.Dequeue();
                if (sweep.State(cell) == "finished")
                {
                    states[cell] = "finished";
                    log($"  cell {cell} ({sweep.Cells[cell].Name}) finished (by another process)");
                    continue;
                }
                if (RunLease.HeldBy(sweep.Run(cell).Path) is { } holder)
                {
                    if (elsewhere.Add(cell)) log($"  cell {cell} ({sweep.Cells[cell].Name}) is being run by {holder}; waiting for it");
                    continue;
                }
                running.Add((cell, Start(sweep, cell, ntkCommand, Path.Combine(logs, $"cell_{cell}.log"))));
                log($"  cell {cell} ({sweep.Cells[cell].Name}) started");
            }
            Thread.Sleep(100);
            foreach (var done in running.Where(r => r.Process.HasExited).ToList())
            {
                running.Remove(done);
                done.Process.WaitForExit();
                int code = done.Process.ExitCode;
                done.Process.Dispose();
                if (code == BusyExitCode)
                {
                    if (elsewhere.Add(done.Cell)) log($"  cell {done.Cell} ({sweep.Cells[done.Cell].Name}) is being run by another process; waiting for it");
                    continue;
                }
                string state = sweep.State(done.Cell);
                states[done.Cell] = code == 0 || state is "finished" or "diverged" ? state : "failed";
                log($"  cell {done.Cell} ({sweep.Cells[done.Cell].Name}) {states[done.Cell]}{(states[done.Cell] == "failed" ? $" (exit {code}; see logs/cell_{done.Cell}.log)" : "")}");
                RunIndex.BuildSweep(sweep);
            }
            // A cell held elsewhere is done when its holder finishes it, or ours to resume (once) when its holder is gone.
            foreach (int cell in elsewhere.Where(c => RunLease.HeldBy(sweep.Run(c).Path) is null).ToList())
            {
                elsewhere.Remove(cell);
                string state = sweep.State(cell);
                if (state is "finished" or "diverged" || !retried.Add(cell))
                {
                    states[cell] = state;
                    log($"  cell {cell} ({sweep.Cells[cell].Name}) {state} (by another process)");
                }
                else todo.Enqueue(cell);
            }
        }
        RunIndex.BuildSweep(sweep);
        return states;
    }

    private static Process Start(Sweep sweep, int cell, IReadOnlyList<string> ntk, string logFile)
    {
        var psi = new ProcessStartInfo(ntk[0]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in ntk.Skip(1).Concat(["sweep", "run-cell", sweep.Source, "--cell", cell.ToString(), "--quiet"])) psi.ArgumentList.Add(a);
        var p = Process.Start(psi)!;
        var writer = new StreamWriter(logFile, append: true) { AutoFlush = true };
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
