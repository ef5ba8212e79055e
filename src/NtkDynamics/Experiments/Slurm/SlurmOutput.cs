using System.Text.RegularExpressions;

namespace NtkDynamics.Experiments.Slurm;

/// <summary>Parsers for what sbatch, squeue, sacct, scontrol and the jobcomp/filetxt log print.</summary>
public static partial class SlurmOutput
{
    /// <summary>The job id from <c>sbatch --parsable</c>: <c>123</c> or <c>123;cluster</c>.</summary>
    public static string ParseJobId(string stdout)
    {
        var id = stdout.Trim().Split('\n')[0].Split(';')[0].Trim();
        return JobIdPattern().IsMatch(id) ? id : throw new SlurmException($"sbatch printed no job id: '{stdout.Trim()}'");
    }

    /// <summary>
    /// Tasks of one array from <c>squeue -h -r -o "%i %T"</c>: lines <c>123_4 RUNNING</c> (or <c>123_[5-7%2] PENDING</c>
    /// without -r); lines of other jobs are ignored.
    /// </summary>
    public static IReadOnlyDictionary<int, ArrayTaskState> ParseSqueue(string stdout, string jobId) =>
        Collect(Lines(stdout).Select(l => l.Split(' ', 2, StringSplitOptions.TrimEntries)).Where(f => f.Length == 2)
            .Select(f => (f[0], f[1], (string?)null)), jobId);

    /// <summary>
    /// Tasks of one array from <c>sacct -n -P -X -o JobID,State,ExitCode</c>: lines <c>123_4|CANCELLED by 1000|0:15</c>;
    /// job steps (<c>123_4.batch</c>) and other jobs are ignored.
    /// </summary>
    public static IReadOnlyDictionary<int, ArrayTaskState> ParseSacct(string stdout, string jobId) =>
        Collect(Lines(stdout).Select(l => l.Split('|')).Where(f => f.Length >= 3 && !f[0].Contains('.'))
            .Select(f => (f[0], f[1], (string?)f[2].Trim())), jobId);

    /// <summary>
    /// Tasks of one array from one-line <c>Key=Value</c> records: <c>scontrol show job -o</c> or a jobcomp/filetxt log.
    /// Uses ArrayJobId, ArrayTaskId (an index or, for the still-pending rest of an array, a range), JobState and ExitCode;
    /// records without ArrayTaskId are ignored. A later record of the same task wins (a log is in time order).
    /// </summary>
    public static IReadOnlyDictionary<int, ArrayTaskState> ParseKeyValueRecords(string text, string jobId)
    {
        var rows = new List<(string, string, string?)>();
        foreach (var line in Lines(text))
        {
            string? Field(string key)
            {
                var m = Regex.Match(line, $@"(?:^|\s){key}=(\S*)");
                return m.Success ? m.Groups[1].Value : null;
            }
            if (Field("ArrayJobId") is string array && Field("ArrayTaskId") is string tasks && Field("JobState") is string state)
                rows.Add(($"{array}_{tasks}", state, Field("ExitCode")));
        }
        return Collect(rows, jobId);
    }

    // (id "123_4" or "123_[4-6]", state, exit code) rows -> task states of job `jobId`, last row per task wins.
    private static IReadOnlyDictionary<int, ArrayTaskState> Collect(IEnumerable<(string Id, string State, string? ExitCode)> rows, string jobId)
    {
        var tasks = new SortedDictionary<int, ArrayTaskState>();
        foreach (var (id, rawState, exitCode) in rows)
        {
            int underscore = id.IndexOf('_');
            if (underscore < 0 || id[..underscore] != jobId) continue;
            // "CANCELLED by 1000" -> CANCELLED; "RUNNING" stays.
            var state = rawState.Trim().Split(' ')[0].ToUpperInvariant();
            IReadOnlyList<int> indices;
            try
            {
                indices = ArraySpec.Parse(id[(underscore + 1)..]);
            }
            catch (FormatException e)
            {
                throw new SlurmException($"cannot read Slurm's array task id '{id}': {e.Message}");
            }
            foreach (int i in indices) tasks[i] = new ArrayTaskState(i, state, exitCode);
        }
        return tasks;
    }

    private static IEnumerable<string> Lines(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    [GeneratedRegex(@"^[0-9]+$")]
    private static partial Regex JobIdPattern();
}
