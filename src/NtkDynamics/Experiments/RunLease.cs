using System.Text.Json;
using NtkDynamics.Formats;

namespace NtkDynamics.Experiments;

/// <summary>A run (a sweep cell) is being run by another process right now: nothing was written.</summary>
public sealed class RunBusyException(string message) : Exception(message);

/// <summary>
/// The right to write one run folder, held by one process at a time. It lives beside the run, in
/// <c>&lt;parent&gt;/.locks/&lt;name&gt;.*</c>, so it outlives the folder being replaced:
/// <list type="bullet">
/// <item><c>.lock</c>: an exclusive advisory lock (flock) on an empty file, never deleted. The kernel drops it when its holder
/// dies, even by kill -9, so a stale lease needs no clean-up.</item>
/// <item><c>.lease</c>: who holds it (host, boot, pid, process start, token, acquired, renewed), rewritten every
/// <see cref="RenewEvery"/>. It also guards file systems whose locks are not shared between hosts: a lease renewed by another
/// host within <see cref="Expiry"/>, or naming a live process of this host, is honoured even when the lock was granted.</item>
/// <item><c>.history.jsonl</c>: one line per acquisition (naming the previous holder and how it ended: released, gone) and per
/// release, appended only by the holder: a record that no two processes ever held the run at once.</item>
/// </list>
/// </summary>
public sealed class RunLease : IDisposable
{
    /// <summary>How often the holder rewrites its lease file.</summary>
    public static readonly TimeSpan RenewEvery = TimeSpan.FromSeconds(10);

    /// <summary>A lease from another host not renewed for this long is stale.</summary>
    public static readonly TimeSpan Expiry = TimeSpan.FromSeconds(60);

    /// <summary>The lease file's contents.</summary>
    public sealed record Holder(string Host, string Boot, int Pid, long Start, string Token, DateTime Acquired, DateTime Renewed)
    {
        public override string ToString() => $"pid {Pid} on {Host} (since {Acquired:yyyy-MM-ddTHH:mm:ssZ})";
    }

    private readonly FileStream _lock;
    private readonly Holder _me;
    private readonly string _leaseFile, _historyFile;
    private readonly Timer _renew;
    private volatile bool _lost;

    /// <summary>True once another process's lease replaced this one (only where locks are not shared between hosts): stop without writing.</summary>
    public bool Lost => _lost;

    private RunLease(FileStream lockFile, Holder me, string leaseFile, string historyFile)
    {
        _lock = lockFile; _me = me; _leaseFile = leaseFile; _historyFile = historyFile;
        _renew = new Timer(_ => Renew(), null, RenewEvery, RenewEvery);
    }

    /// <summary>The three files' common stem for the run folder <paramref name="runFolder"/>.</summary>
    public static string Stem(string runFolder)
    {
        string full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(runFolder));
        return Path.Combine(Path.GetDirectoryName(full)!, ".locks", Path.GetFileName(full));
    }

    /// <summary>Takes the lease of <paramref name="runFolder"/>, or throws <see cref="RunBusyException"/> naming the holder.</summary>
    public static RunLease Acquire(string runFolder)
    {
        string stem = Stem(runFolder);
        Directory.CreateDirectory(Path.GetDirectoryName(stem)!);
        FileStream lockFile;
        try { lockFile = new FileStream(stem + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
        catch (IOException) when (File.Exists(stem + ".lock"))
        {
            throw new RunBusyException($"{runFolder}: being run by another process ({Read(stem + ".lease")?.ToString() ?? "holder not known yet"})");
        }
        try
        {
            if (Read(stem + ".lease") is { } other && IsLive(other))
                throw new RunBusyException($"{runFolder}: being run by {other} (its lease is live although the lock was granted: this file system's locks are not shared between hosts)");
            var me = Self();
            var lease = new RunLease(lockFile, me, stem + ".lease", stem + ".history.jsonl");
            // The history's last record says how the previous holder ended: an acquisition without a release is a holder that died.
            var last = LastRecord(stem + ".history.jsonl");
            bool died = last is { } l && l.GetProperty("event").ValueEquals("acquired") && l.TryGetProperty("host", out _)
                && l.TryGetProperty("pid", out var pid) && pid.ValueKind == JsonValueKind.Number && l.TryGetProperty("token", out _);
            lease.Append(new Dictionary<string, object?>
            {
                ["event"] = "acquired", ["time"] = me.Acquired, ["host"] = me.Host, ["pid"] = me.Pid, ["start"] = me.Start, ["token"] = me.Token,
                ["previous"] = died ? new Dictionary<string, object?>
                {
                    ["host"] = last!.Value.GetProperty("host").ToString(), ["pid"] = last.Value.GetProperty("pid").GetInt32(),
                    ["token"] = last.Value.GetProperty("token").ToString(), ["ended"] = "gone",
                } : null,
            });
            lease.Write();
            return lease;
        }
        catch
        {
            lockFile.Dispose();
            throw;
        }
    }

    /// <summary>Who holds the lease of <paramref name="runFolder"/> now (a live lease file), or null when nobody does.</summary>
    public static Holder? HeldBy(string runFolder) => Read(Stem(runFolder) + ".lease") is { } h && IsLive(h) ? h : null;

    /// <summary>Releases: records the end state, removes the lease file, drops the lock.</summary>
    public void Dispose()
    {
        _renew.Dispose();
        if (!_lost)
        {
            Append(new Dictionary<string, object?> { ["event"] = "released", ["time"] = DateTime.UtcNow, ["pid"] = _me.Pid, ["token"] = _me.Token });
            File.Delete(_leaseFile);
        }
        _lock.Dispose();
    }

    private void Renew()
    {
        if (_lost) return;
        try
        {
            if (Read(_leaseFile) is { } now && now.Token != _me.Token) { _lost = true; return; }
            Write();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InputException) { }
    }

    private void Write() => AtomicFile.WriteText(_leaseFile, JsonSerializer.Serialize(_me with { Renewed = DateTime.UtcNow }, Json.Indented));

    private void Append(Dictionary<string, object?> record) => RunFolder.AppendLine(_historyFile, JsonSerializer.Serialize(record));

    /// <summary>The last complete line of the history, or null (no history, or a damaged one: the lock still guards the run).</summary>
    private static JsonElement? LastRecord(string file)
    {
        if (!File.Exists(file)) return null;
        string? line = File.ReadLines(file).LastOrDefault(l => l.Length > 0);
        if (line is null) return null;
        try
        {
            using var doc = JsonDocument.Parse(line);
            var e = doc.RootElement.Clone();
            return e.ValueKind == JsonValueKind.Object && e.TryGetProperty("event", out var ev) && ev.ValueKind == JsonValueKind.String ? e : null;
        }
        catch (JsonException) { return null; }
    }

    /// <summary>A lease file's holder, or null when there is none or it cannot be read (a lease is written whole, so that is damage).</summary>
    private static Holder? Read(string file)
    {
        try { return File.Exists(file) ? JsonSerializer.Deserialize<Holder>(File.ReadAllText(file)) : null; }
        catch (Exception e) when (e is JsonException or IOException or NotSupportedException) { return null; }
    }

    /// <summary>Same host and boot: the process is alive and is the one that took the lease. Another host: renewed within <see cref="Expiry"/>.</summary>
    private static bool IsLive(Holder h)
    {
        var me = Self();
        if (h.Host != me.Host) return DateTime.UtcNow - h.Renewed < Expiry;
        return h.Boot == me.Boot && ProcessStart(h.Pid) == h.Start;
    }

    private static Holder Self()
    {
        int pid = Environment.ProcessId;
        var now = DateTime.UtcNow;
        return new Holder(Environment.MachineName, BootId, pid, ProcessStart(pid) ?? 0, Guid.NewGuid().ToString("N"), now, now);
    }

    private static readonly string BootId = File.Exists("/proc/sys/kernel/random/boot_id") ? File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim() : "";

    /// <summary>The start time (clock ticks after boot) of a live process, or null when there is none or it is a zombie.</summary>
    public static long? ProcessStart(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            // pid (comm) state ppid ... : comm may hold spaces and parentheses, so fields count from the last ')'.
            string[] f = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return f[0] is "Z" or "X" ? null : long.Parse(f[19]);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }
}
