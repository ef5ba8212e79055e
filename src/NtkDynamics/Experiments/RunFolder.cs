using System.Text;
using System.Text.Json;
using NtkDynamics.Formats;

namespace NtkDynamics.Experiments;

/// <summary>
/// The files of one run (docs/run-folder.md): whole-file writes are atomic, table rows are appended a whole line at a
/// time and flushed, and on resume rows past the checkpoint (or a torn last line) are cut away.
/// </summary>
public sealed class RunFolder(string path)
{
    public string Path { get; } = System.IO.Path.GetFullPath(path);
    public string Config => File("config.yaml");
    public string Status => File("status.json");
    public string Metrics => File("metrics.jsonl");
    public string Accuracy => File("accuracy.csv");
    public string Summary => File("summary.json");
    public string Kernels => File("kernels");
    public string Checkpoints => File("checkpoints");

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public const string AccuracyHeader = "step,epoch,trained_task,eval_task,accuracy,loss";

    /// <summary>Writes status.json: state running / finished / diverged / failed, with the reason and step.</summary>
    public void WriteStatus(string state, int step, int totalSteps, string? reason = null) =>
        AtomicFile.WriteText(Status, JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["state"] = state, ["reason"] = reason, ["step"] = step, ["total_steps"] = totalSteps,
            ["updated"] = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ"),
        }, Json.Indented));

    /// <summary>The state in status.json, or null when there is none.</summary>
    public string? ReadState() => ReadStatus()?.State;

    /// <summary>status.json, or null when there is none; a malformed one is an <see cref="InputException"/> naming it.</summary>
    public RunStatus? ReadStatus()
    {
        if (!System.IO.File.Exists(Status)) return null;
        JsonElement o = JsonRead.File(Status);
        if (o.ValueKind != JsonValueKind.Object) throw new InputException($"{Status}: expected a JSON object");
        int Count(string key) => JsonRead.Number(o, key, Status) is var v && double.IsFinite(v) ? (int)Math.Clamp(v, 0, int.MaxValue) : 0;
        return new RunStatus(JsonRead.String(o, "state", Status) ?? "unknown", JsonRead.String(o, "reason", Status), Count("step"), Count("total_steps"));
    }

    /// <summary>True when the folder holds a run that failed before its first training step (nothing to resume, nothing to lose).</summary>
    public bool FailedBeforeFirstStep()
    {
        try
        {
            return ReadStatus() is { State: "failed", Step: 0 } && !Directory.Exists(Checkpoints)
                && (!System.IO.File.Exists(Accuracy) || System.IO.File.ReadLines(Accuracy).All(l => l.Length == 0 || l.StartsWith("step,") || l.StartsWith("0,")));
        }
        catch (InputException) { return false; }
    }

    /// <summary>Deletes what a killed writer left half-done: AtomicFile's temporary files and unfinished checkpoint folders.</summary>
    public void RemoveTemporaryFiles()
    {
        foreach (string dir in new[] { Path, Kernels, Checkpoints }.Where(Directory.Exists))
            foreach (string tmp in Directory.GetFiles(dir, ".*.tmp")) System.IO.File.Delete(tmp);
        if (Directory.Exists(Checkpoints))
            foreach (string tmp in Directory.GetDirectories(Checkpoints, "*.tmp")) Directory.Delete(tmp, true);
    }

    /// <summary>Appends one line (with its newline) and flushes it to disk.</summary>
    public static void AppendLine(string file, string line)
    {
        using var fs = new FileStream(file, FileMode.Append, FileAccess.Write, FileShare.Read);
        var bytes = Encoding.UTF8.GetBytes(line + "\n");
        fs.Write(bytes);
        fs.Flush(flushToDisk: true);
    }

    /// <summary>
    /// Keeps the lines of <paramref name="file"/> that are complete and whose step (read by <paramref name="stepOf"/>) is at
    /// most <paramref name="lastStep"/>; a torn last line (no newline) is dropped.
    /// </summary>
    public static void TruncateAfter(string file, int lastStep, Func<string, int?> stepOf)
    {
        if (!System.IO.File.Exists(file)) return;
        string text = System.IO.File.ReadAllText(file);
        int end = text.LastIndexOf('\n') + 1;
        var kept = text[..end].Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => stepOf(l) is not int s || s <= lastStep);
        AtomicFile.WriteText(file, string.Concat(kept.Select(l => l + "\n")));
    }
}

/// <summary>JSON options shared by the run files.</summary>
public static class Json
{
    public static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };
}
