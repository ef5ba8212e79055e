using NtkDynamics.Experiments;

namespace NtkDynamics.Tests.Experiments;

public class SweepTests
{
    [Fact]
    public void GridCellsAreTheCartesianProductWithValuesApplied()
    {
        var dir = Directory.CreateTempSubdirectory("ntk-sweep-").FullName;
        File.WriteAllText(Path.Combine(dir, "base.yaml"), RunnerTests.TinyYaml("base", "ignored"));
        File.WriteAllText(Path.Combine(dir, "s.yaml"), $"name: s\noutput: {dir}\nbase: base.yaml\ngrid:\n  model.width: [4, 8, 16]\n  train.lr: ['0.1/width', 0.01]\n");
        var sweep = Sweep.Load(Path.Combine(dir, "s.yaml"));
        Assert.Equal(6, sweep.Cells.Count);
        Assert.Equal("width=4,lr=0.1_width", sweep.Cells[0].Name);
        Assert.Equal("width=16,lr=0.01", sweep.Cells[5].Name);
        var c1 = sweep.CellConfig(2);
        Assert.Equal((8, 0.1 / 8), (c1.Model.Width, c1.Train.LrValue));
        Assert.Equal(Path.Combine(dir, "s"), c1.Output);
        Assert.Equal(0.9, c1.Train.Momentum); // from the base
        var e = Assert.Throws<InputException>(() => sweep.CellConfig(6));
        Assert.Contains("no cell 6", e.Message);
        File.WriteAllText(Path.Combine(dir, "bad.yaml"), $"name: b\noutput: {dir}\nbase: base.yaml\ngrid: {{model.width: [4, zero]}}\n");
        e = Assert.Throws<InputException>(() => Sweep.Load(Path.Combine(dir, "bad.yaml")));
        Assert.Contains("model.width: expected a whole number, got 'zero'", e.Message);
        Directory.Delete(dir, true);
    }

    [Fact]
    public void CasesSetSeveralKeysTogetherAndMultiplyTheGrid()
    {
        var dir = Directory.CreateTempSubdirectory("ntk-sweep-").FullName;
        File.WriteAllText(Path.Combine(dir, "base.yaml"), RunnerTests.TinyYaml("base", "ignored"));
        File.WriteAllText(Path.Combine(dir, "s.yaml"), $$"""
            name: s
            output: {{dir}}
            base: base.yaml
            cases:
              - {strategy.kind: er, train.lr: 0.1}
              - {strategy: {kind: derpp, alpha: 0.3}, train.lr: 0.03}
            grid: {seed: [0, 1]}
            """);
        var sweep = Sweep.Load(Path.Combine(dir, "s.yaml"));
        Assert.Equal(["kind=er,lr=0.1,seed=0", "kind=er,lr=0.1,seed=1"], sweep.Cells.Take(2).Select(c => c.Name));
        var last = sweep.CellConfig(3);
        Assert.Equal(("derpp", 0.3, 0.03, 1UL), (last.Strategy.Kind, last.Strategy.Alpha, last.Train.LrValue, last.Seed));
        Assert.Equal("er", sweep.CellConfig(1).Strategy.Kind);
        Assert.Equal(0.9, last.Train.Momentum); // the base's
        File.WriteAllText(Path.Combine(dir, "clash.yaml"), $"name: c\noutput: {dir}\nbase: base.yaml\ncases: [{{seed: 1}}]\ngrid: {{seed: [0, 1]}}\n");
        Assert.Contains("grid.seed: is also set by cases", Assert.Throws<InputException>(() => Sweep.Load(Path.Combine(dir, "clash.yaml"))).Message);
        File.WriteAllText(Path.Combine(dir, "bad.yaml"), $"name: c\noutput: {dir}\nbase: base.yaml\ncases: {{seed: 1}}\n");
        Assert.Contains("cases: expected a list", Assert.Throws<InputException>(() => Sweep.Load(Path.Combine(dir, "bad.yaml"))).Message);
        Directory.Delete(dir, true);
    }

    /// <summary>The ntk command, except that the worker of cell <paramref name="failing"/> exits with code 9 (a crashed worker).</summary>
    internal static IReadOnlyList<string> FailingCell(int failing) =>
        ["bash", "-c", $"case \" $* \" in *\" --cell {failing} \"*) echo 'worker crashed' >&2; exit 9;; esac; exec \"$0\" \"$@\"", .. SweepRunner.SelfCommand()];

    [Fact]
    public void LocalSweepRunsCellsInWorkersReportsAFailedCellIndexesAndResumes()
    {
        var dir = Directory.CreateTempSubdirectory("ntk-sweep-").FullName;
        File.WriteAllText(Path.Combine(dir, "base.yaml"), RunnerTests.TinyYaml("base", "ignored").Replace("epochs_per_task: 2", "epochs_per_task: 1"));
        string sweepFile = Path.Combine(dir, "s.yaml");
        File.WriteAllText(sweepFile, $"name: s\noutput: {dir}\nbase: base.yaml\nworkers: 2\ngrid:\n  model.width: [8, 4]\n  seed: [0, 1]\n");
        var sweep = Sweep.Load(sweepFile);
        var log = new List<string>();
        var states = SweepRunner.RunLocal(sweep, 2, FailingCell(2), log.Add);
        Assert.Equal(new[] { "finished", "finished", "failed", "finished" }, states);
        Assert.Contains(log, l => l.Contains("cell 2") && l.Contains("failed") && l.Contains("exit 9"));
        Assert.Contains("worker crashed", File.ReadAllText(Path.Combine(sweep.Folder, "logs", "cell_2.log")));

        // One row per cell; the crashed cell never made its run folder.
        var rows = RunIndex.Query(Path.Combine(sweep.Folder, "index.sqlite"));
        Assert.Equal(new long[] { 0, 1, 2, 3 }, rows.Select(r => (long)r["cell"]!).ToArray());
        Assert.Equal(["finished", "finished", "pending", "finished"], rows.Select(r => (string)r["state"]!));
        Assert.Equal(8L, rows[0]["width"]);
        Assert.NotNull(rows[0]["average_accuracy"]);
        // The index's numbers are the run folder's, as RunData reads them.
        var data = RunData.Load((string)rows[0]["path"]!);
        Assert.Equal((long)data.Tasks.Count, rows[0]["tasks"]);
        Assert.Equal(data.Measurements[^1].LambdaMax, (double)rows[0]["lambda_max_final"]!); // SQLite REAL keeps the double: exact
        Assert.Equal(data.Measurements.Select(m => m.Velocity).Where(v => !double.IsNaN(v)).Max(), (double)rows[0]["velocity_peak"]!);
        Assert.Equal(data.Summary!.Steps, Convert.ToDouble(rows[0]["steps"]));
        Assert.Equal(2, RunIndex.Query(Path.Combine(sweep.Folder, "index.sqlite"), "seed = 1").Count);
        Assert.Null(rows[2]["average_accuracy"]);

        // Running it again skips the finished cells and runs only the failed one.
        var finishedAt = File.GetLastWriteTimeUtc(sweep.Run(0).Status);
        log.Clear();
        states = SweepRunner.RunLocal(sweep, 2, SweepRunner.SelfCommand(), log.Add);
        Assert.Contains(log, l => l.Contains("3 already finished, 1 to run"));
        Assert.Equal(finishedAt, File.GetLastWriteTimeUtc(sweep.Run(0).Status));
        Assert.All(states, s => Assert.Equal("finished", s));
        Directory.Delete(dir, true);
    }

    [Fact]
    public void EveryCellIsCheckedAgainstItsDataBeforeAnyStarts()
    {
        var dir = Directory.CreateTempSubdirectory("ntk-sweep-").FullName;
        File.WriteAllText(Path.Combine(dir, "base.yaml"), RunnerTests.TinyYaml("base", "ignored"));
        string sweepFile = Path.Combine(dir, "s.yaml");
        // The last cell asks for 3 tasks of 5 classes of a 10-class data set.
        File.WriteAllText(sweepFile, $"name: s\noutput: {dir}\nbase: base.yaml\ngrid:\n  stream.tasks: [1, 2, 3]\n");
        var sweep = Sweep.Load(sweepFile);
        var e = Assert.Throws<InputException>(() => SweepRunner.RunLocal(sweep, 1, SweepRunner.SelfCommand(), _ => { }));
        Assert.StartsWith($"{sweepFile} (cell 2: tasks=3): stream.tasks: 3 tasks x 5 classes need 15 classes", e.Message);
        Assert.False(Directory.Exists(sweep.Folder));
        Directory.Delete(dir, true);
    }
}
