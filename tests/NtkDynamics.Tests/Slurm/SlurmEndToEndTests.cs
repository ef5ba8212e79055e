using System.Diagnostics;
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
/// Starts a private single-node Slurm (scripts/slurm/start-local.sh), runs a 4-cell sweep array of a stand-in for
/// <c>ntk sweep run-cell</c>, cancels a cell mid-run, resubmits it alone, and always stops Slurm at the end.
/// </summary>
public sealed class SlurmEndToEndTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    // Stand-in for `ntk sweep run-cell <sweep.yaml> --cell K` ($3 the sweep file, $5 the cell): like a run, it keeps a
    // status file in <sweep folder>/cell-K/ (running, then finished; cancelled when Slurm sends SIGTERM) and counts its
    // attempts; it sleeps <sweep folder>/cell-K/sleep seconds (default 2) so the test can hold one cell running.
    // TODO(lead): point NtkCommand at the real ntk once `ntk sweep run-cell` exists.
    private const string StandIn = """
        d="$(dirname "$3")/cell-$5"; mkdir -p "$d"
        n=$(( $(cat "$d/attempts" 2>/dev/null || echo 0) + 1 )); echo $n > "$d/attempts"
        echo running > "$d/status"
        trap 'echo cancelled > "$d/status"; exit 143' TERM
        echo "cell $5 attempt $n job $SLURM_ARRAY_JOB_ID"; echo "cell $5 stderr" >&2
        sleep "$(cat "$d/sleep" 2>/dev/null || echo 2)" & wait
        echo finished > "$d/status"
        """;

    [SlurmEndToEndFact]
    public void ArrayRunsCancelsAndResubmitsOnARealSlurm()
    {
        var repo = RepoRoot();
        var slurmDir = Path.Combine(Path.GetTempPath(), $"ntk-slurm-e2e-{Environment.ProcessId}");
        var port = Environment.GetEnvironmentVariable("NTK_SLURM_PORT") ?? "6917"; // beside a default instance on 6817
        var sweep = Directory.CreateTempSubdirectory("ntk-slurm-sweep-").FullName;
        Script(repo, "start-local.sh", slurmDir, port, mustSucceed: true);
        try
        {
            var client = new SlurmClient(new SystemProcessRunner(new Dictionary<string, string> { ["SLURM_CONF"] = Path.Combine(slurmDir, "slurm.conf") }));
            Scenario(client, sweep, Path.Combine(slurmDir, "jobcomp.txt"));
        }
        finally
        {
            Script(repo, "stop-local.sh", slurmDir, port, mustSucceed: false);
            Directory.Delete(sweep, recursive: true);
        }
        Assert.False(Directory.Exists(slurmDir), "stop-local.sh left its folder behind");
    }

    private void Scenario(SlurmClient client, string sweep, string jobCompLog)
    {
        string Status(int cell) => File.ReadAllText(Path.Combine(sweep, $"cell-{cell}", "status")).Trim();
        string Attempts(int cell) => File.ReadAllText(Path.Combine(sweep, $"cell-{cell}", "attempts")).Trim();
        string Submit(int[] cells, string name)
        {
            var script = new SbatchScript(Path.Combine(sweep, "sweep.yaml"), sweep, sweep, ["bash", "-c", StandIn, "ntk"],
                cells, new SlurmResources { Cpus = 1, Memory = "100M", Time = "5" }, "ntk-e2e");
            var path = Path.Combine(sweep, $"{name}.sbatch");
            script.Write(path);
            return client.Submit(path, sweep);
        }

        // 1. Four cells, two CPUs: all run to the end.
        var clock = Stopwatch.StartNew();
        var first = Submit([0, 1, 2, 3], "all");
        WaitUntil(() => client.Queue(first).Count == 0, client, first, "the 4-cell array to leave the queue");
        output.WriteLine($"4-cell array (2 s per cell, 2 CPUs): submitted to all ended in {clock.Elapsed.TotalSeconds:0.0} s");
        var recent = client.Recent(first);
        Assert.Equal([0, 1, 2, 3], recent.Keys);
        Assert.All(recent.Values, t => Assert.Equal("COMPLETED", t.State));
        for (int cell = 0; cell < 4; cell++)
        {
            Assert.Equal("finished", Status(cell));
            var log = File.ReadAllText(Path.Combine(sweep, "slurm", $"{first}_{cell}.out"));
            Assert.Contains($"cell {cell} attempt 1 job {first}", log);
            Assert.Contains($"cell {cell} stderr", log); // stderr shares the .out file
        }
        Assert.Null(client.Accounting(first)); // the local Slurm has no accounting database

        // 2. Run again with cell 1 held running; cancel it mid-run; the others end normally.
        File.WriteAllText(Path.Combine(sweep, "cell-1", "sleep"), "300");
        clock.Restart();
        var second = Submit([0, 1, 2, 3], "again");
        WaitUntil(() => client.Queue(second).GetValueOrDefault(1)?.State == "RUNNING", client, second, "cell 1 to run");
        client.Cancel(second, 1);
        WaitUntil(() => client.Queue(second).Count == 0, client, second, "the array to leave the queue after the cancel");
        output.WriteLine($"array with cell 1 cancelled mid-run: submitted to all ended in {clock.Elapsed.TotalSeconds:0.0} s");
        recent = client.Recent(second);
        Assert.Equal("CANCELLED", recent[1].State);
        Assert.All(new[] { 0, 2, 3 }, c => Assert.Equal("COMPLETED", recent[c].State));
        var completions = SlurmOutput.ParseKeyValueRecords(File.ReadAllText(jobCompLog), second);
        Assert.Equal("CANCELLED", completions[1].State); // jobcomp/filetxt keeps what scontrol forgets after MinJobAge
        Assert.Equal("cancelled", Status(1)); // Slurm's SIGTERM reached the run while it worked
        Assert.Equal("2", Attempts(1));

        // 3. Resubmit the cancelled cell alone.
        File.Delete(Path.Combine(sweep, "cell-1", "sleep"));
        clock.Restart();
        var third = Submit([1], "resubmit");
        WaitUntil(() => client.Queue(third).Count == 0, client, third, "the resubmitted cell to leave the queue");
        output.WriteLine($"resubmitted cell alone: submitted to ended in {clock.Elapsed.TotalSeconds:0.0} s");
        recent = client.Recent(third);
        Assert.Equal([1], recent.Keys);
        Assert.Equal("COMPLETED", recent[1].State);
        Assert.Equal("finished", Status(1));
        Assert.Equal("3", Attempts(1));
        Assert.True(File.Exists(Path.Combine(sweep, "slurm", $"{third}_1.out")));
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
