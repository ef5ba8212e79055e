using System.CommandLine;
using NtkDynamics.Experiments;

namespace NtkDynamics.Cli;

/// <summary>`ntk runs index|list|show`: the SQLite index of run folders.</summary>
internal static class RunsCommand
{
    private static readonly string[] ListColumns = ["sweep", "cell", "name", "state", "width", "lr", "seed", "average_accuracy", "forgetting", "lambda_max_final", "velocity_peak"];

    public static Command Create()
    {
        var cmd = new Command("runs", "Query runs through the SQLite index");
        var folder = new Argument<string>("folder") { Description = "a run, a sweep or a folder of runs", DefaultValueFactory = _ => "runs" };
        var index = new Command("index", "Build FOLDER/index.sqlite from the run folders below it") { folder };
        index.SetAction(r =>
        {
            string f = r.GetValue(folder)!, db = Path.Combine(f, "index.sqlite");
            Console.WriteLine($"indexed {RunIndex.Build(f, db)} runs into {db}");
            return 0;
        });
        var listFolder = new Argument<string>("folder") { Description = "folder holding index.sqlite (a sweep or a folder of runs)", DefaultValueFactory = _ => "runs" };
        var where = new Option<string?>("--where") { Description = "SQL condition on the index's columns, e.g. \"width >= 64 AND state = 'finished'\"" };
        var list = new Command("list", "One line per run: sweep, cell, name, state, width, lr, seed, accuracy, forgetting, λmax, velocity peak") { listFolder, where };
        list.SetAction(r =>
        {
            var rows = RunIndex.Query(Database(r.GetValue(listFolder)!), r.GetValue(where));
            var table = rows.Select(row => ListColumns.Select(c => RunIndex.Format(row.GetValueOrDefault(c))).ToArray()).ToList();
            var widths = ListColumns.Select((c, i) => Math.Max(c.Length, table.Select(t => t[i].Length).DefaultIfEmpty(0).Max())).ToArray();
            Console.WriteLine(string.Join("  ", ListColumns.Select((c, i) => c.PadRight(widths[i]))));
            foreach (var t in table) Console.WriteLine(string.Join("  ", t.Select((v, i) => v.PadRight(widths[i]))));
            Console.WriteLine($"{rows.Count} runs");
            return 0;
        });
        var showFolder = new Argument<string>("folder") { Description = "folder holding index.sqlite" };
        var name = new Argument<string>("name") { Description = "run name (or sweep cell name)" };
        var show = new Command("show", "Every indexed field of one run") { showFolder, name };
        show.SetAction(r =>
        {
            var rows = RunIndex.Query(Database(r.GetValue(showFolder)!)).Where(row => (string?)row["name"] == r.GetValue(name)).ToList();
            if (rows.Count == 0) throw new InputException($"{r.GetValue(name)}: no run of that name in the index");
            foreach (var row in rows)
            {
                foreach (var (k, v) in row) Console.WriteLine($"{k,-22} {RunIndex.Format(v)}");
                Console.WriteLine();
            }
            return 0;
        });
        cmd.Subcommands.Add(index);
        cmd.Subcommands.Add(list);
        cmd.Subcommands.Add(show);
        return cmd;
    }

    private static string Database(string folder) => folder.EndsWith(".sqlite") ? folder : Path.Combine(folder, "index.sqlite");
}
