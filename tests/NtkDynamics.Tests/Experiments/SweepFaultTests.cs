using System.Diagnostics;
using System.Text.Json;
using NtkDynamics.Experiments;
using NtkDynamics.Tests.Data;
using Xunit.Abstractions;

namespace NtkDynamics.Tests.Experiments;

/// <summary>
/// `ntk sweep` as real processes under faults: the driver and its workers killed with SIGKILL at seeded random moments, two
/// sweep commands on one sweep, a damaged index, a crash between a cell finishing and the index being written. Every cell ends
/// finished, the index has exactly one row per cell, and each cell's lease history shows it was never held by two processes
/// at once: every takeover names a holder this test had killed before the takeover.
/// </summary>
public class SweepFaultTests(ITestOutputHelper output)
{
    private const int Cells = 4;

    /// <summary>
    /// A sweep of four tiny cells in <paramref name="dir"/>: two tasks of <paramref name="stepsPerTask"/> steps each (one epoch of
    /// batches of 16 over 5 classes).
    /// </summary>
    private static string WriteSweep(TempFolder dir, int stepsPerTask = 3)
    {
        File.WriteAllText(dir.File("base.yaml"), $$"""
            model: {kind: cnn, width: 4}
            data: {dataset: embedded, train_per_class: {{16 * stepsPerTask / 5}}, test_per_class: 4}
            stream: {kind: class-split, tasks: 2, classes_per_task: 5, probe_size: 10}
            train: {lr: 0.01, momentum: 0.9, batch_size: 16, epochs_per_task: 1}
            ntk: {every: 2}
            checkpoint: {every_steps: 2}
            """);
        string sweep = dir.File("s.yaml");
        File.WriteAllText(sweep, $"name: s\noutput: {dir.Path}\nbase: base.yaml\ngrid: {{seed: [0, 1, 2, 3]}}\n");
        return sweep;
    }

    private static Process Driver(string sweep, string log, int workers = 2)
    {
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = false, RedirectStandardError = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("exec \"$@\" >> \"$LOG\" 2>&1");
        psi.ArgumentList.Add("driver");
        foreach (string a in SweepRunner.SelfCommand().Concat(["sweep", sweep, "--workers", workers.ToString()])) psi.ArgumentList.Add(a);
        psi.Environment["LOG"] = log;
        return Process.Start(psi)!;
    }

    /// <summary>The live `ntk sweep` processes of this sweep file: (pid, is a worker).</summary>
    private static List<(int Pid, bool Worker)> SweepProcesses(string sweep)
    {
        var found = new List<(int, bool)>();
        foreach (string dir in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid) || RunLease.ProcessStart(pid) is null) continue;
            string[] args;
            try { args = File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0'); }
            catch (IOException) { continue; }
            if (args.Contains(sweep) && args.Contains("sweep") && !args.Contains("-c")) found.Add((pid, args.Contains("run-cell")));
        }
        return found;
    }

    private static void WaitFor(Process p, int seconds)
    {
        if (!p.WaitForExit(seconds * 1000))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"process {p.Id} did not end within {seconds} s");
        }
    }

    /// <summary>
    /// Reads every cell's lease history and checks it: an acquisition either follows a release, or names as its previous holder
    /// the last acquirer, which this test killed before the acquisition. Returns the number of acquisitions per cell and of
    /// takeovers from a killed holder.
    /// </summary>
    private static (int[] Acquisitions, int Takeovers) AuditHistories(Sweep sweep, IReadOnlyDictionary<int, DateTime> killed)
    {
        var counts = new int[sweep.Cells.Count];
        int takeovers = 0;
        foreach (var cell in sweep.Cells)
        {
            string file = RunLease.Stem(sweep.Run(cell.Index).Path) + ".history.jsonl";
            Assert.True(File.Exists(file), $"cell {cell.Index} has no lease history");
            JsonElement? holder = null;
            foreach (string line in File.ReadAllLines(file))
            {
                var record = JsonDocument.Parse(line).RootElement;
                string where = $"cell {cell.Index}: {line}";
                if (record.GetProperty("event").GetString() == "acquired")
                {
                    counts[cell.Index]++;
                    var previous = record.GetProperty("previous");
                    if (holder is { } h)
                    {
                        // Taken over: the previous holder must be the unreleased one, and dead (killed by us) before this moment.
                        Assert.True(previous.ValueKind == JsonValueKind.Object, $"{where}: acquired while {h} had not released");
                        Assert.Equal(h.GetProperty("token").GetString(), previous.GetProperty("token").GetString());
                        int pid = h.GetProperty("pid").GetInt32();
                        Assert.True(killed.TryGetValue(pid, out var at), $"{where}: took over from pid {pid}, which the test never killed");
                        Assert.True(at < record.GetProperty("time").GetDateTime(), $"{where}: took over from pid {pid} before it was killed at {at:O}");
                        takeovers++;
                    }
                    else Assert.True(previous.ValueKind == JsonValueKind.Null, $"{where}: names a previous holder but the last one had released");
                    holder = record;
                }
                else
                {
                    Assert.True(holder is not null, $"{where}: a release without a holder");
                    Assert.Equal(holder!.Value.GetProperty("token").GetString(), record.GetProperty("token").GetString());
                    holder = null;
                }
            }
            Assert.True(holder is null, $"cell {cell.Index}: its last holder never released");
        }
        return (counts, takeovers);
    }

    /// <summary>Every cell finished, with each measurement and evaluation once and no temporary file left; exactly one index row per cell.</summary>
    private static void AssertAllFinishedOnce(Sweep sweep, int stepsPerTask = 3)
    {
        // Every 2 steps and each task's end.
        int[] steps = Enumerable.Range(0, 2 * stepsPerTask + 1).Where(s => s % 2 == 0 || s % stepsPerTask == 0).ToArray();
        foreach (var cell in sweep.Cells)
        {
            var run = sweep.Run(cell.Index);
            Assert.Equal("finished", run.ReadState());
            var data = RunData.Load(run.Path);
            Assert.Equal(steps, data.Measurements.Select(m => m.Step).ToArray());
            Assert.Equal(File.ReadAllLines(run.Metrics).Length, steps.Length);
            Assert.Equal(2 * 3, data.Evaluations.Count); // step 0 and each task's end, on both tasks
            Assert.Empty(Directory.GetFiles(run.Path, "*.tmp", SearchOption.AllDirectories));
            Assert.Empty(Directory.GetDirectories(run.Path, "*.tmp", SearchOption.AllDirectories));
        }
        var rows = RunIndex.Query(Path.Combine(sweep.Folder, "index.sqlite"));
        Assert.Equal(Enumerable.Range(0, Cells).Select(i => (long)i), rows.Select(r => (long)r["cell"]!));
        Assert.All(rows, r => Assert.Equal("finished", r["state"]));
        Assert.Empty(Directory.GetFiles(sweep.Folder, "index.sqlite.*.tmp"));
    }

    [Fact]
    public void KilledDriversAndWorkersAtRandomMomentsStillFinishEveryCellNeverTwiceAtOnce()
    {
        // Cells long enough (40 steps, a few seconds each) that every round finds a worker to kill, on a fast machine too.
        const int stepsPerTask = 20;
        using var dir = new TempFolder();
        string sweepFile = WriteSweep(dir, stepsPerTask), log = dir.File("driver.log");
        var sweep = Sweep.Load(sweepFile);
        var rng = new Random(20250614);
        var killed = new Dictionary<int, DateTime>();
        int rounds = 0, killedWorkers = 0, killedDrivers = 0;
        var clock = Stopwatch.StartNew();
        // Five rounds in a seeded order: kill the driver (its workers go on as orphans), one worker, or everything. Each round waits
        // until a worker holds a cell, then a seeded random moment.
        string[] plans = ["driver", "a worker", "everything", "driver", "a worker"];
        rng.Shuffle(plans);
        foreach (string plan in plans)
        {
            rounds++;
            using var driver = Driver(sweepFile, log);
            for (var wait = Stopwatch.StartNew(); wait.Elapsed.TotalSeconds < 30 && !driver.HasExited && !sweep.Cells.Any(c => RunLease.HeldBy(sweep.Run(c.Index).Path) is not null);)
                Thread.Sleep(20);
            Thread.Sleep(rng.Next(0, 1000));
            var victims = SweepProcesses(sweepFile);
            foreach (var (pid, worker) in victims.Where(v => plan == "everything" || (plan == "driver" ? !v.Worker : v.Worker)).Take(plan == "a worker" ? 1 : int.MaxValue))
            {
                try { Process.GetProcessById(pid).Kill(); } catch (ArgumentException) { continue; } catch (InvalidOperationException) { continue; }
                killed[pid] = DateTime.UtcNow;
                if (worker) killedWorkers++; else killedDrivers++;
            }
            output.WriteLine($"round {rounds} at {clock.Elapsed.TotalSeconds:F1} s: killed {plan} ({string.Join(", ", victims.Select(v => $"{v.Pid}{(v.Worker ? "w" : "d")}"))} live); states {string.Join(" ", sweep.States())}");
            if (sweep.States().All(s => s == "finished")) break;
        }
        // Drivers not killed and orphaned workers of killed drivers may still run: the last driver waits for their cells (or takes
        // them over when they die), and then every process of the sweep ends.
        using (var last = Driver(sweepFile, log))
        {
            WaitFor(last, 120);
            Assert.True(last.ExitCode == 0, File.ReadAllText(log));
        }
        for (var wait = Stopwatch.StartNew(); SweepProcesses(sweepFile).Count > 0; Thread.Sleep(50))
            Assert.True(wait.Elapsed.TotalSeconds < 60, $"processes of the sweep still running: {string.Join(", ", SweepProcesses(sweepFile))}");

        var (acquisitions, takeovers) = AuditHistories(sweep, killed);
        AssertAllFinishedOnce(sweep, stepsPerTask);
        output.WriteLine($"{rounds} rounds in {clock.Elapsed.TotalSeconds:F1} s, killed {killedDrivers} drivers and {killedWorkers} workers; " +
            $"acquisitions per cell {string.Join(", ", acquisitions)}, {takeovers} takeovers of a killed holder's lease");
        Assert.True(killedWorkers >= 1 && killedDrivers >= 1, $"only {killedWorkers} workers and {killedDrivers} drivers were killed");
        Assert.True(takeovers >= 1, "no lease was ever taken over from a killed worker");
    }

    [Fact]
    public void TwoSweepCommandsOnOneSweepRunEachCellOnceAndADamagedIndexIsRebuilt()
    {
        using var dir = new TempFolder();
        string sweepFile = WriteSweep(dir), log = dir.File("driver.log");
        var sweep = Sweep.Load(sweepFile);
        using (Process a = Driver(sweepFile, log), b = Driver(sweepFile, log))
        {
            WaitFor(a, 120);
            WaitFor(b, 120);
            Assert.True(a.ExitCode == 0 && b.ExitCode == 0, File.ReadAllText(log));
        }
        var (acquisitions, _) = AuditHistories(sweep, new Dictionary<int, DateTime>());
        Assert.All(acquisitions, n => Assert.Equal(1, n));
        AssertAllFinishedOnce(sweep);
        output.WriteLine(File.ReadAllText(log));

        // A crash while the index was written: a torn index and a temporary file left. Listing it is a clean error; running the
        // sweep again (every cell finished) rebuilds it with one row per cell.
        string index = Path.Combine(sweep.Folder, "index.sqlite");
        File.WriteAllBytes(index, File.ReadAllBytes(index)[..100]);
        File.WriteAllText(index + ".4242.tmp", "half");
        var e = Assert.Throws<InputException>(() => RunIndex.Query(index));
        Assert.Contains("not a readable index", e.Message);
        // A crash between a cell finishing and the index row: the index has no row for it.
        File.Delete(index);
        using (var again = Driver(sweepFile, log)) { WaitFor(again, 60); Assert.Equal(0, again.ExitCode); }
        AssertAllFinishedOnce(sweep);
        Assert.Contains("4 already finished, 0 to run", File.ReadAllText(log));
    }

    [Fact]
    public void ACellStoppedMidWayWithHalfWrittenFilesResumesCleanlyAndStatusSaysInterruptedMeanwhile()
    {
        using var dir = new TempFolder();
        var sweep = Sweep.Load(WriteSweep(dir));
        using var stop = new CancellationTokenSource();
        // Stop cell 1 after step 3; then leave what a kill -9 during a checkpoint and a metrics rewrite would leave.
        Assert.Equal("stopped", sweep.RunCell(1, e => { if (e.Kind == "step" && e.Step == 3) stop.Cancel(); }, stop.Token));
        var run = sweep.Run(1);
        Directory.CreateDirectory(Path.Combine(run.Checkpoints, "step_000004.tmp"));
        File.WriteAllText(Path.Combine(run.Path, ".metrics.jsonl.999.0123.tmp"), "{\"step\": 4");
        run.WriteStatus("running", 3, 6);
        Assert.Equal("interrupted", sweep.State(1));
        Assert.Equal("pending", sweep.State(0));
        Assert.Equal("finished", sweep.RunCell(1));
        Assert.Empty(Directory.GetFiles(run.Path, "*.tmp", SearchOption.AllDirectories));
        Assert.Empty(Directory.GetDirectories(run.Path, "*.tmp", SearchOption.AllDirectories));
        Assert.Equal([0, 2, 3, 4, 6], RunData.Load(run.Path).Measurements.Select(m => m.Step).ToArray());

        // While one process holds a cell's lease, another cannot run it; the lease file names the holder.
        using (var held = RunLease.Acquire(sweep.Run(2).Path))
        {
            Assert.Equal(Environment.ProcessId, RunLease.HeldBy(sweep.Run(2).Path)!.Pid);
            var busy = Assert.Throws<RunBusyException>(() => sweep.RunCell(2));
            Assert.Contains($"pid {Environment.ProcessId}", busy.Message);
        }
        Assert.Null(RunLease.HeldBy(sweep.Run(2).Path));
        RunIndex.BuildSweep(sweep);
        var rows = RunIndex.Query(Path.Combine(sweep.Folder, "index.sqlite"));
        Assert.Equal(["pending", "finished", "pending", "pending"], rows.Select(r => (string)r["state"]!));
    }
}
