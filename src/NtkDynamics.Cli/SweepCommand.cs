using System.CommandLine;
using NtkDynamics.Experiments;
using NtkDynamics.Experiments.Slurm;

namespace NtkDynamics.Cli;

/// <summary>`ntk sweep FILE` (local workers or a Slurm job array), `run-cell`, `status`, `collect`.</summary>
internal static class SweepCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("sweep") { Description = "sweep file: a base experiment and a grid of config keys" };
        var workers = new Option<int?>("--workers") { Description = "local worker processes (default: the sweep's `workers`, else 1)" };
        var slurm = new Option<bool>("--slurm") { Description = "submit the unfinished cells as a Slurm job array instead of running them here" };
        var dryRun = new Option<bool>("--dry-run") { Description = "with --slurm: write the sbatch script but do not submit it" };
        var cells = new Option<string?>("--cells") { Description = "with --slurm: only these cells (e.g. 1,3-5); default every cell not finished" };
        var cmd = new Command("sweep", "Run every cell of a sweep (base experiment x grid), skipping finished ones") { file, workers, slurm, dryRun, cells };
        cmd.SetAction(r =>
        {
            var sweep = Sweep.Load(r.GetValue(file)!);
            if (r.GetValue(slurm)) return Submit(sweep, r.GetValue(dryRun), r.GetValue(cells));
            var states = SweepRunner.RunLocal(sweep, r.GetValue(workers) ?? sweep.Workers, SweepRunner.SelfCommand(), Console.WriteLine);
            PrintStates(sweep, states);
            Console.WriteLine($"index: {Path.Combine(sweep.Folder, "index.sqlite")}");
            return states.All(s => s is "finished" or "diverged") ? 0 : 1;
        });
        cmd.Subcommands.Add(RunCell());
        cmd.Subcommands.Add(Status());
        cmd.Subcommands.Add(Collect());
        return cmd;
    }

    private static int Submit(Sweep sweep, bool dryRun, string? cellList)
    {
        var states = sweep.States();
        int[] chosen = cellList is null
            ? Enumerable.Range(0, sweep.Cells.Count).Where(i => states[i] != "finished").ToArray()
            : ArraySpec.Parse(cellList).ToArray();
        if (chosen.FirstOrDefault(c => c < 0 || c >= sweep.Cells.Count, -1) is int bad && bad >= 0)
            throw new InputException($"--cells: cell {bad} is not in sweep {sweep.Name} (cells 0..{sweep.Cells.Count - 1})");
        sweep.Validate();
        sweep.WriteFolder();
        if (chosen.Length == 0) { Console.WriteLine($"sweep {sweep.Name}: every cell is finished; nothing to submit"); return 0; }
        var script = new SbatchScript(Path.GetFullPath(sweep.Source), Path.GetFullPath(sweep.Folder), Directory.GetCurrentDirectory(),
            SweepRunner.SelfCommand(), chosen, sweep.Slurm, $"ntk-{sweep.Name}");
        string path = Path.Combine(sweep.Folder, "slurm", "submit.sbatch");
        script.Write(path);
        Console.WriteLine($"wrote {path} ({chosen.Length} cells: {ArraySpec.Format(chosen, null)})");
        if (dryRun) return 0;
        string job = new SlurmClient().Submit(path, Directory.GetCurrentDirectory());
        File.AppendAllText(Path.Combine(sweep.Folder, "slurm", "jobs.txt"), job + "\n");
        Console.WriteLine($"submitted job array {job}; follow it with `ntk sweep status {sweep.Source}`, then `ntk sweep collect {sweep.Source}`");
        return 0;
    }

    private static Command RunCell()
    {
        var file = new Argument<string>("sweep") { Description = "sweep file" };
        var cell = new Option<int>("--cell") { Description = "cell number (0-based)", Required = true };
        var quiet = new Option<bool>("--quiet") { Description = "no progress output" };
        var cmd = new Command("run-cell", "Run (or resume) one cell of a sweep in this process: what each worker or Slurm array task runs") { file, cell, quiet };
        cmd.SetAction(r =>
        {
            var sweep = Sweep.Load(r.GetValue(file)!);
            int index = r.GetValue(cell);
            sweep.CellConfig(index);
            new ProgressView(r.GetValue(quiet)).Show(observe => sweep.RunCell(index, observe, StopSignal.Token()));
            return RunSummary.Print(sweep.Run(index));
        });
        return cmd;
    }

    private static Command Status()
    {
        var file = new Argument<string>("sweep") { Description = "sweep file" };
        var cmd = new Command("status", "Each cell's state (pending / running / finished / failed / diverged), with Slurm's view where a job array was submitted") { file };
        cmd.SetAction(r =>
        {
            var sweep = Sweep.Load(r.GetValue(file)!);
            var states = sweep.States().ToArray();
            string jobs = Path.Combine(sweep.Folder, "slurm", "jobs.txt");
            if (File.Exists(jobs))
            {
                var client = new SlurmClient();
                foreach (var job in File.ReadAllLines(jobs).Where(l => l.Trim().Length > 0))
                    foreach (var (index, task) in Merge(client, job.Trim()))
                        if (index < states.Length && states[index] is not ("finished" or "diverged"))
                            states[index] = $"{states[index]} (slurm {job.Trim()}_{index}: {task.State})";
            }
            PrintStates(sweep, states);
            return 0;
        });
        return cmd;
    }

    private static IEnumerable<KeyValuePair<int, ArrayTaskState>> Merge(SlurmClient client, string job)
    {
        IReadOnlyDictionary<int, ArrayTaskState> queue, recent;
        try { queue = client.Queue(job); recent = client.Recent(job); }
        catch (SlurmException) { yield break; }
        foreach (var kv in recent.Concat(queue).GroupBy(kv => kv.Key).Select(g => g.Last())) yield return kv;
    }

    private static Command Collect()
    {
        var file = new Argument<string>("sweep") { Description = "sweep file" };
        var cmd = new Command("collect", "Build the sweep's SQLite index (index.sqlite) from its run folders") { file };
        cmd.SetAction(r =>
        {
            var sweep = Sweep.Load(r.GetValue(file)!);
            if (!Directory.Exists(sweep.Folder)) throw new InputException($"{sweep.Folder}: no such folder (the sweep has not been run)");
            string db = RunIndex.BuildSweep(sweep);
            Console.WriteLine($"indexed {sweep.Cells.Count} cells into {db}");
            return 0;
        });
        return cmd;
    }

    private static void PrintStates(Sweep sweep, IReadOnlyList<string> states)
    {
        Console.WriteLine($"{"cell",4}  {"name",-40} state");
        foreach (var c in sweep.Cells) Console.WriteLine($"{c.Index,4}  {c.Name,-40} {states[c.Index]}");
        var counts = states.GroupBy(s => s.Split(' ')[0]).Select(g => $"{g.Count()} {g.Key}");
        Console.WriteLine($"{sweep.Cells.Count} cells: {string.Join(", ", counts)}");
    }
}
