using System.Globalization;
using System.Text.RegularExpressions;

namespace NtkDynamics.Experiments.Slurm;

/// <summary>
/// What each sweep cell asks of Slurm: the sweep file's <c>slurm:</c> section. Keys in messages:
/// <c>slurm.cpus</c>, <c>slurm.memory</c>, <c>slurm.time</c>, <c>slurm.partition</c>, <c>slurm.max_concurrent</c>, <c>slurm.extra</c>.
/// </summary>
public sealed partial record SlurmResources
{
    /// <summary>CPUs per cell (<c>--cpus-per-task</c>), at least 1.</summary>
    public int Cpus { get; init; } = 1;

    /// <summary>Memory per cell (<c>--mem</c>): megabytes, or a number with K, M, G or T; null leaves the cluster's default.</summary>
    public string? Memory { get; init; }

    /// <summary>
    /// Time limit per cell (<c>--time</c>) in a Slurm format: <c>minutes</c>, <c>minutes:seconds</c>, <c>hours:minutes:seconds</c>,
    /// <c>days-hours</c>, <c>days-hours:minutes</c>, <c>days-hours:minutes:seconds</c>, or UNLIMITED; null leaves the partition's default.
    /// </summary>
    public string? Time { get; init; }

    /// <summary>Partition (or comma-separated partitions); null leaves the cluster's default.</summary>
    public string? Partition { get; init; }

    /// <summary>At most this many cells run at once (the array's <c>%max</c>); null for no limit.</summary>
    public int? MaxConcurrent { get; init; }

    /// <summary>
    /// Extra lines, verbatim. A line starting with <c>#SBATCH</c> is an sbatch option and goes with the other options; a line
    /// starting with <c>-</c> is one too and gets <c>#SBATCH </c> in front; any other line is a shell command run before ntk
    /// (e.g. <c>module load dotnet</c>).
    /// </summary>
    public IReadOnlyList<string> Extra { get; init; } = [];

    /// <summary>Throws <see cref="InputException"/> naming the first bad key.</summary>
    public void Validate()
    {
        if (Cpus < 1) throw new InputException($"slurm.cpus: expected a whole number >= 1, got {Cpus}");
        if (Memory is not null && !MemoryPattern().IsMatch(Memory))
            throw new InputException($"slurm.memory: expected megabytes or a number with K, M, G or T (e.g. 4G), got '{Memory}'");
        if (Time is not null) ParseTime(Time);
        if (Partition is not null && !PartitionPattern().IsMatch(Partition))
            throw new InputException($"slurm.partition: expected a partition name (letters, digits, _ . -; several separated by commas), got '{Partition}'");
        if (MaxConcurrent is < 1) throw new InputException($"slurm.max_concurrent: expected a whole number >= 1, got {MaxConcurrent}");
        foreach (var line in Extra)
            if (line.Contains('\n') || line.Contains('\r') || line.Contains('\0'))
                throw new InputException("slurm.extra: each entry must be a single line");
    }

    /// <summary>
    /// A Slurm time limit as a duration; null for UNLIMITED, INFINITE or 0 (no limit).
    /// Throws <see cref="InputException"/> naming <c>slurm.time</c> for anything Slurm would not accept.
    /// </summary>
    public static TimeSpan? ParseTime(string value)
    {
        var v = value.Trim();
        if (v.Equals("UNLIMITED", StringComparison.OrdinalIgnoreCase) || v.Equals("INFINITE", StringComparison.OrdinalIgnoreCase))
            return null;
        var m = TimePattern().Match(v);
        if (!m.Success)
            throw new InputException($"slurm.time: expected minutes, minutes:seconds, hours:minutes:seconds, days-hours, days-hours:minutes or days-hours:minutes:seconds, got '{value}'");
        var fields = m.Groups["f"].Value.Split(':').Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray();
        long seconds;
        if (m.Groups["d"].Success)
        {
            // days-hours[:minutes[:seconds]]
            long days = long.Parse(m.Groups["d"].Value, CultureInfo.InvariantCulture);
            seconds = days * 86400 + fields[0] * 3600 + (fields.Length > 1 ? fields[1] * 60 : 0) + (fields.Length > 2 ? fields[2] : 0);
        }
        else
        {
            // minutes | minutes:seconds | hours:minutes:seconds
            seconds = fields.Length switch
            {
                1 => fields[0] * 60,
                2 => fields[0] * 60 + fields[1],
                _ => fields[0] * 3600 + fields[1] * 60 + fields[2],
            };
        }
        return seconds == 0 ? null : TimeSpan.FromSeconds(seconds); // Slurm reads a limit of 0 as no limit
    }

    [GeneratedRegex(@"^[0-9]+[KMGTkmgt]?$")]
    private static partial Regex MemoryPattern();

    [GeneratedRegex(@"^[A-Za-z0-9_.\-]+(,[A-Za-z0-9_.\-]+)*$")]
    private static partial Regex PartitionPattern();

    [GeneratedRegex(@"^(?:(?<d>[0-9]{1,6})-)?(?<f>[0-9]{1,9}(?::[0-9]{1,9}){0,2})$")]
    private static partial Regex TimePattern();
}
