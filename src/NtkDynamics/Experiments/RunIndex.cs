using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace NtkDynamics.Experiments;

/// <summary>One run as the index holds it: where it is, its main config fields and summary metrics.</summary>
public sealed record IndexedRun(string Name, string Path, string State, string? Sweep, int? Cell, IReadOnlyDictionary<string, object?> Fields);

/// <summary>
/// An SQLite index of run folders (table <c>runs</c>: one row per run, config fields and summary metrics as columns, the cell's
/// sweep parameters as JSON), built after the fact from the folders so no two processes ever write one SQLite file.
/// </summary>
public static class RunIndex
{
    private static readonly (string Column, string Type)[] Columns =
    [
        ("name", "TEXT"), ("path", "TEXT PRIMARY KEY"), ("state", "TEXT"), ("sweep", "TEXT"), ("cell", "INTEGER"), ("params", "TEXT"),
        ("seed", "INTEGER"), ("model_kind", "TEXT"), ("width", "INTEGER"), ("parametrisation", "TEXT"), ("lr", "REAL"), ("momentum", "REAL"),
        ("weight_decay", "REAL"), ("batch_size", "INTEGER"), ("epochs_per_task", "INTEGER"), ("dataset", "TEXT"), ("stream_kind", "TEXT"),
        ("tasks", "INTEGER"), ("ntk_kind", "TEXT"), ("strategy", "TEXT"), ("steps", "INTEGER"), ("average_accuracy", "REAL"), ("forgetting", "REAL"),
        ("backward_transfer", "REAL"), ("forward_transfer", "REAL"), ("lambda_max_initial", "REAL"), ("lambda_max_final", "REAL"), ("kernel_distance_final", "REAL"),
        ("velocity_peak", "REAL"), ("train_seconds", "REAL"), ("ntk_seconds", "REAL"),
    ];

    /// <summary>(Re)builds <paramref name="database"/> from every run folder below <paramref name="folder"/> (a run, a sweep or a parent of runs).</summary>
    public static int Build(string folder, string database)
    {
        if (!Directory.Exists(folder)) throw new InputException($"{folder}: no such folder");
        var runs = Directory.EnumerateFiles(folder, "config.yaml", SearchOption.AllDirectories)
            .Select(Path.GetDirectoryName).Where(d => File.Exists(Path.Combine(d!, "stream.json"))).Order().ToList();
        Write(database, runs.Select(dir => Read(dir!)));
        return runs.Count;
    }

    /// <summary>
    /// (Re)builds the sweep's index.sqlite with exactly one row per cell of the sweep file: a cell without a run folder yet is
    /// a row of its configuration with state "pending"; a run killed mid-way is "interrupted"; a folder that cannot be read is
    /// "unreadable". Returns the database's path.
    /// </summary>
    public static string BuildSweep(Sweep sweep)
    {
        string database = Path.Combine(sweep.Folder, "index.sqlite");
        Write(database, sweep.Cells.Select(cell =>
        {
            var run = sweep.Run(cell.Index);
            try
            {
                var row = File.Exists(run.Config) && File.Exists(run.File("stream.json")) ? Read(run.Path) : Row(sweep.CellConfig(cell.Index), run.Path, null, null);
                return row with { State = sweep.State(cell.Index), Sweep = sweep.Name, Cell = cell.Index };
            }
            catch (InputException)
            {
                return Row(sweep.CellConfig(cell.Index), run.Path, null, null) with { State = "unreadable", Sweep = sweep.Name, Cell = cell.Index };
            }
        }));
        return database;
    }

    /// <summary>
    /// Writes the rows into a temporary database beside <paramref name="database"/> and renames it over: a reader never sees a
    /// half-written index, a crash leaves the old one, and builders in several processes take turns (a lock file beside it).
    /// </summary>
    private static void Write(string database, IEnumerable<IndexedRun> rows)
    {
        string full = Path.GetFullPath(database), folder = Path.GetDirectoryName(full)!;
        using var turn = WaitForLock(full + ".lock");
        foreach (string stale in Directory.GetFiles(folder, Path.GetFileName(full) + ".*.tmp")) File.Delete(stale);
        string tmp = $"{full}.{Environment.ProcessId}.tmp";
        try
        {
            using (var db = Open(tmp))
            {
                Execute(db, $"CREATE TABLE runs ({string.Join(", ", Columns.Select(c => $"{c.Column} {c.Type}"))})");
                using var tx = db.BeginTransaction();
                foreach (var row in rows) Insert(db, row);
                tx.Commit();
            }
            SqliteConnection.ClearAllPools();
            File.Move(tmp, full, overwrite: true);
        }
        finally { File.Delete(tmp); }
    }

    private static FileStream WaitForLock(string file)
    {
        for (var clock = System.Diagnostics.Stopwatch.StartNew(); ; Thread.Sleep(20))
        {
            try { return new FileStream(file, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
            catch (IOException) when (clock.Elapsed < TimeSpan.FromMinutes(2)) { }
        }
    }

    private static SqliteConnection Open(string path)
    {
        var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        db.Open();
        return db;
    }

    private static void Execute(SqliteConnection db, string sql)
    {
        using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    /// <summary>Reads one run folder into an index row; a folder without measurements yet gives its configuration only.</summary>
    public static IndexedRun Read(string dir)
    {
        var run = new RunFolder(dir);
        var data = RunData.IsRunFolder(dir) ? RunData.Load(dir) : null;
        var c = data?.Config ?? ExperimentConfig.Load(run.Config);
        return Row(c, dir, data, run);
    }

    private static IndexedRun Row(ExperimentConfig c, string dir, RunData? data, RunFolder? run)
    {
        var f = new Dictionary<string, object?>
        {
            ["seed"] = (long)c.Seed, ["model_kind"] = c.Model.Kind, ["width"] = c.Model.Width, ["parametrisation"] = c.Model.Parametrisation,
            ["lr"] = c.Train.LrValue, ["momentum"] = c.Train.Momentum, ["weight_decay"] = c.Train.WeightDecay, ["batch_size"] = c.Train.BatchSize,
            ["epochs_per_task"] = c.Train.EpochsPerTask, ["dataset"] = c.Data.Dataset, ["stream_kind"] = c.Stream.Kind, ["ntk_kind"] = c.Ntk.Kind,
            ["strategy"] = c.Strategy.Kind,
            ["tasks"] = data?.Tasks.Count,
        };
        static double? Value(double v) => double.IsNaN(v) ? null : v;
        if (data?.Summary is { } s)
        {
            f["average_accuracy"] = Value(s.AverageAccuracy); f["forgetting"] = Value(s.Forgetting); f["backward_transfer"] = Value(s.BackwardTransfer);
            f["forward_transfer"] = Value(s.ForwardTransfer);
            f["steps"] = Value(s.Steps); f["train_seconds"] = Value(s.TrainSeconds); f["ntk_seconds"] = Value(s.NtkSeconds);
        }
        if (data?.Measurements is [var first, ..] measurements)
        {
            f["lambda_max_initial"] = Value(first.LambdaMax);
            f["lambda_max_final"] = Value(measurements[^1].LambdaMax);
            f["kernel_distance_final"] = Value(measurements[^1].KernelDistanceInit);
            f["velocity_peak"] = measurements.Select(m => m.Velocity).Where(v => !double.IsNaN(v)).Select(v => (double?)v).DefaultIfEmpty(null).Max();
        }
        string? sweep = null; int? cell = null; string? parameters = null;
        string parent = Path.GetDirectoryName(Path.GetFullPath(dir))!, cellsFile = Path.Combine(parent, "cells.json");
        if (File.Exists(cellsFile))
            foreach (var entry in JsonRead.Array(JsonRead.File(cellsFile), null, cellsFile))
                if (entry.ValueKind == JsonValueKind.Object && JsonRead.String(entry, "name", cellsFile) == Path.GetFileName(Path.GetFullPath(dir)))
                {
                    sweep = Path.GetFileName(parent); cell = JsonRead.Int(entry, "index", cellsFile);
                    parameters = entry.TryGetProperty("params", out var p) ? p.GetRawText() : null;
                }
        f["params"] = parameters;
        return new IndexedRun(c.Name, Path.GetFullPath(dir), run?.ReadState() ?? (run is null ? "pending" : "unknown"), sweep, cell, f);
    }

    private static void Insert(SqliteConnection db, IndexedRun r)
    {
        using var cmd = db.CreateCommand();
        cmd.CommandText = $"INSERT INTO runs ({string.Join(", ", Columns.Select(c => c.Column))}) VALUES ({string.Join(", ", Columns.Select(c => "$" + c.Column))})";
        var values = new Dictionary<string, object?>(r.Fields) { ["name"] = r.Name, ["path"] = r.Path, ["state"] = r.State, ["sweep"] = r.Sweep, ["cell"] = r.Cell };
        foreach (var (col, _) in Columns) cmd.Parameters.AddWithValue("$" + col, values.GetValueOrDefault(col) ?? DBNull.Value);
        cmd.ExecuteNonQuery();
    }

    /// <summary>The rows of the index, optionally filtered by an SQL condition on its columns (e.g. "width >= 64 AND state = 'finished'").</summary>
    public static List<Dictionary<string, object?>> Query(string database, string? where = null)
    {
        if (!File.Exists(database)) throw new InputException($"{database}: no index here (build it with `ntk runs index FOLDER` or `ntk sweep collect`)");
        using var db = Open(database);
        using var cmd = db.CreateCommand();
        cmd.CommandText = "SELECT * FROM runs" + (where is null ? "" : $" WHERE {where}") + " ORDER BY sweep, cell, name";
        var result = new List<Dictionary<string, object?>>();
        try
        {
            using var reader = cmd.ExecuteReader();
            while (reader.Read())
                result.Add(Enumerable.Range(0, reader.FieldCount).ToDictionary(reader.GetName, i => reader.IsDBNull(i) ? null : reader.GetValue(i)));
        }
        catch (SqliteException e) when (e.SqliteErrorCode is 26 or 11) // SQLITE_NOTADB, SQLITE_CORRUPT
        {
            throw new InputException($"{database}: not a readable index ({e.Message.Split('\n')[0]}); rebuild it with `ntk sweep collect` or `ntk runs index`");
        }
        catch (SqliteException e) { throw new InputException($"{database}: bad filter '{where}': {e.Message.Split('\n')[0]}"); }
        return result;
    }

    /// <summary>A value formatted for a table cell.</summary>
    public static string Format(object? v) => v switch
    {
        null => "-",
        double d => d.ToString(Math.Abs(d) >= 1000 || (Math.Abs(d) < 0.001 && d != 0) ? "G4" : "0.####", CultureInfo.InvariantCulture),
        _ => Convert.ToString(v, CultureInfo.InvariantCulture) ?? "-",
    };
}
