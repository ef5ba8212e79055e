using System.Diagnostics;
using NtkDynamics.Experiments;
using NtkDynamics.Experiments.Slurm;
using Xunit.Abstractions;

namespace NtkDynamics.Tests.Slurm;

/// <summary>
/// A test that needs a real Slurm: skipped unless NTK_SLURM_E2E=1. The reason is the skip message and, so that
/// `dotnet test` shows it at its default verbosity too, the test's display name.
/// </summary>
public sealed class SlurmEndToEndFactAttribute : FactAttribute
{
    public SlurmEndToEndFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("NTK_SLURM_E2E") == "1") return;
        Skip = "needs a real Slurm: set NTK_SLURM_E2E=1 (as root or with passwordless sudo; slurm-wlm and munge are "
             + "installed by apt-get if missing) to start one with scripts/slurm/start-local.sh";
        DisplayName = "Slurm end-to-end test skipped: NTK_SLURM_E2E is not 1, so no local Slurm was started";
    }
}

/// <summary>
/// Starts a private single-node Slurm (scripts/slurm/start-local.sh), submits a real 4-cell sweep (`ntk sweep --slurm`'s
/// script running `ntk sweep run-cell`), cancels one cell mid-run with scancel, resubmits it alone, checks that it resumed from
/// its checkpoint and finished, builds the index with `collect`, and always stops Slurm at the end.
/// </summary>
public sealed class SlurmEndToEndTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(240);

    [SlurmEndToEndFact]
    public void SweepArrayRunsCancelsAndResumesOnARealSlurm()
    {
        var repo = RepoRoot();
        var slurmDir = Path.Combine(Path.GetTempPath(), $"ntk-slurm-e2e-{Environment.ProcessId}");
        var port = Environment.GetEnvironmentVariable("NTK_SLURM_PORT") ?? "6917"; // beside a default instance on 6817
        var work = Directory.CreateTempSubdirectory("ntk-slurm-sweep-").FullName;
        Script(repo, "start-local.sh", slurmDir, port, mustSucceed: true);
        try
        {
            var client = new SlurmClient(new SystemProcessRunner(new Dictionary<string, string> { ["SLURM_CONF"] = Path.Combine(slurmDir, "slurm.conf") }));
            Scenario(client, work);
        }
        finally
        {
            Script(repo, "stop-local.sh", slurmDir, port, mustSucceed: false);
            Directory.Delete(work, recursive: true);
        }
        Assert.False(Directory.Exists(slurmDir), "stop-local.sh left its folder behind");
    }

    private void Scenario(SlurmClient client, string work)
    {
        // Cells: width 4 or 8 x 1 or 40 epochs per task; cell 1 (width 4, 40 epochs) runs long enough to be cancelled mid-run.
        File.WriteAllText(Path.Combine(work, "base.yaml"), Experiments.RunnerTests.TinyYaml("base", "ignored"));
        string sweepFile = Path.Combine(work, "sweep.yaml");
        File.WriteAllText(sweepFile, $"name: e2e\noutput: {work}/out\nbase: base.yaml\ngrid:\n  model.width: [4, 8]\n  train.epochs_per_task: [1, 40]\n"
            + "slurm: {cpus: 1, memory: 1G, time: '10'}\n");
        var sweep = Sweep.Load(sweepFile);
        sweep.WriteFolder();
        string Submit(int[] cells, string name)
        {
            var script = new SbatchScript(sweepFile, sweep.Folder, work, SweepRunner.SelfCommand(), cells, sweep.Slurm, "ntk-e2e");
            var path = Path.Combine(sweep.Folder, "slurm", $"{name}.sbatch");
            script.Write(path);
            return client.Submit(path, work);
        }

        // 1. All four cells; cancel cell 1 once it has checkpointed.
        var clock = Stopwatch.StartNew();
        var first = Submit([0, 1, 2, 3], "all");
        var cell1 = sweep.Run(1);
        WaitUntil(() => Checkpoint.Latest(cell1) is not null, client, first, "cell 1 to write a checkpoint");
        client.Cancel(first, 1);
        WaitUntil(() => client.Queue(first).Count == 0, client, first, "the array to leave the queue");
        output.WriteLine($"4-cell sweep with cell 1 cancelled: {clock.Elapsed.TotalSeconds:0.0} s");
        var recent = client.Recent(first);
        Assert.Equal("CANCELLED", recent[1].State);
        var states = sweep.States();
        Assert.All(new[] { 0, 2, 3 }, c => Assert.Equal("finished", states[c]));
        Assert.Equal("stopped", states[1]); // SIGTERM reached the run: it checkpointed and said so

        // 2. Resubmit the cancelled cell alone: it resumes from its checkpoint and finishes.
        clock.Restart();
        var second = Submit([1], "resubmit");
        WaitUntil(() => client.Queue(second).Count == 0, client, second, "the resubmitted cell to leave the queue");
        output.WriteLine($"resubmitted cell 1: {clock.Elapsed.TotalSeconds:0.0} s");
        Assert.Equal("COMPLETED", client.Recent(second)[1].State);
        Assert.Equal("finished", sweep.Run(1).ReadState());
        Assert.Contains("resuming", File.ReadAllText(Path.Combine(sweep.Folder, "slurm", $"{second}_1.out")));

        // 3. collect builds the index from the folders.
        int indexed = RunIndex.Build(sweep.Folder, Path.Combine(sweep.Folder, "index.sqlite"));
        Assert.Equal(4, indexed);
        Assert.All(RunIndex.Query(Path.Combine(sweep.Folder, "index.sqlite")), r => Assert.Equal("finished", r["state"]));
    }

    private static void WaitUntil(Func<bool> done, SlurmClient client, string jobId, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!done())
        {
            if (clock.Elapsed > Patience)
            {
                var queue = string.Join(", ", client.Queue(jobId).Values);
                Assert.Fail($"waited {Patience.TotalSeconds:0} s for {what}; queue of job {jobId}: {queue}");
            }
            Thread.Sleep(250);
        }
    }

    private void Script(string repo, string name, string slurmDir, string port, bool mustSucceed)
    {
        var info = new ProcessStartInfo("bash", [Path.Combine(repo, "scripts", "slurm", name)])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        info.Environment["NTK_SLURM_DIR"] = slurmDir;
        info.Environment["NTK_SLURM_PORT"] = port;
        var clock = Stopwatch.StartNew();
        using var p = Process.Start(info)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        output.WriteLine($"{name}: exit {p.ExitCode} in {clock.Elapsed.TotalSeconds:0.0} s\n{stdout}{stderr.Result}");
        if (mustSucceed) Assert.True(p.ExitCode == 0, $"{name} failed (exit {p.ExitCode}): {stderr.Result}");
    }

    private static string RepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "NtkDynamics.slnx"))) return d.FullName;
        throw new InvalidOperationException("cannot find the repository root (NtkDynamics.slnx) above " + AppContext.BaseDirectory);
    }
}
