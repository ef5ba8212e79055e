using System.Text;
using System.Text.RegularExpressions;

namespace NtkDynamics.Experiments.Slurm;

/// <summary>
/// The job-array script for a sweep: one array task per cell, each running
/// <c>&lt;ntk&gt; sweep run-cell &lt;sweep file&gt; --cell $SLURM_ARRAY_TASK_ID</c> from <see cref="WorkingDirectory"/>,
/// its output and errors in <c>&lt;sweep folder&gt;/slurm/%A_%a.out</c> (%A the array's job id, %a the cell). Resubmitting a cell is safe: run-cell resumes from its checkpoint.
/// </summary>
/// <param name="SweepFile">The sweep file handed to run-cell (made absolute against <see cref="WorkingDirectory"/>).</param>
/// <param name="SweepFolder">The sweep's output folder (made absolute against <see cref="WorkingDirectory"/>).</param>
/// <param name="WorkingDirectory">Absolute folder each task starts in (normally where the user submitted from).</param>
/// <param name="NtkCommand">The words that start ntk, e.g. <c>["/opt/ntk/ntk"]</c> or <c>["dotnet", "/opt/ntk/ntk.dll"]</c>.</param>
/// <param name="Cells">The cells to run (all of them, or only those to resubmit).</param>
/// <param name="Resources">What each cell asks of Slurm.</param>
/// <param name="JobName">The Slurm job name; characters other than letters, digits, <c>_ . -</c> become <c>_</c>.</param>
public sealed partial record SbatchScript(
    string SweepFile,
    string SweepFolder,
    string WorkingDirectory,
    IReadOnlyList<string> NtkCommand,
    IReadOnlyList<int> Cells,
    SlurmResources Resources,
    string JobName)
{
    /// <summary>Where the tasks' output files go: <c>&lt;sweep folder&gt;/slurm</c>.</summary>
    public string LogFolder => Path.Combine(Path.GetFullPath(SweepFolder, WorkingDirectory), "slurm");

    /// <summary>The script text. Throws <see cref="InputException"/> for bad resources, cells or paths.</summary>
    public string Render()
    {
        Resources.Validate();
        if (!Path.IsPathFullyQualified(WorkingDirectory))
            throw new InputException($"slurm: the working directory must be an absolute path, got '{WorkingDirectory}'");
        if (NtkCommand.Count == 0) throw new InputException("slurm: the ntk command is empty");
        if (JobName.Length == 0) throw new InputException("slurm: the job name is empty");
        var logs = LogFolder;
        // #SBATCH lines are split on white space by sbatch and % starts a file-name pattern, so the log path must be plain.
        if (logs.Any(c => char.IsWhiteSpace(c) || c is '%' or '"' or '\''))
            throw new InputException($"slurm: the sweep folder '{logs}' contains a space, quote or %, which #SBATCH --output cannot hold; choose another folder");
        var sweepFile = Path.GetFullPath(SweepFile, WorkingDirectory);

        var s = new StringBuilder();
        s.Append("#!/bin/bash\n");
        s.Append("# Written by ntk: one array task per sweep cell. Resubmitting a cell is safe: it resumes from its checkpoint.\n");
        s.Append("#SBATCH --job-name=").Append(JobNameUnsafe().Replace(JobName, "_")).Append('\n');
        s.Append("#SBATCH --array=").Append(ArraySpec.Format(Cells, Resources.MaxConcurrent)).Append('\n');
        s.Append("#SBATCH --cpus-per-task=").Append(Resources.Cpus).Append('\n');
        if (Resources.Memory is not null) s.Append("#SBATCH --mem=").Append(Resources.Memory).Append('\n');
        if (Resources.Time is not null) s.Append("#SBATCH --time=").Append(Resources.Time.Trim()).Append('\n');
        if (Resources.Partition is not null) s.Append("#SBATCH --partition=").Append(Resources.Partition).Append('\n');
        s.Append("#SBATCH --output=").Append(logs).Append("/%A_%a.out\n");
        foreach (var line in Resources.Extra.Where(IsOption))
            s.Append(line.StartsWith('-') ? "#SBATCH " + line : line).Append('\n');
        s.Append("set -e\n");
        s.Append("cd ").Append(Quote(WorkingDirectory)).Append('\n');
        foreach (var line in Resources.Extra.Where(l => !IsOption(l)))
            s.Append(line).Append('\n');
        s.Append("exec ").AppendJoin(' ', NtkCommand.Select(Quote))
         .Append(" sweep run-cell ").Append(Quote(sweepFile)).Append(" --cell \"$SLURM_ARRAY_TASK_ID\"\n");
        return s.ToString();
    }

    /// <summary>
    /// Writes the script to <paramref name="path"/> (atomically, executable) and creates <see cref="LogFolder"/>,
    /// which Slurm needs to exist before a task starts.
    /// </summary>
    public void Write(string path)
    {
        var text = Render();
        Directory.CreateDirectory(LogFolder);
        var temp = path + ".tmp";
        File.WriteAllText(temp, text);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
                                       UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        File.Move(temp, path, overwrite: true);
    }

    private static bool IsOption(string line) => line.StartsWith("#SBATCH", StringComparison.Ordinal) || line.StartsWith('-');

    /// <summary>A word for bash: as is when plain, else in single quotes.</summary>
    internal static string Quote(string word) =>
        PlainWord().IsMatch(word) ? word : "'" + word.Replace("'", "'\\''") + "'";

    [GeneratedRegex(@"^[A-Za-z0-9_./=:@+,\-]+$")]
    private static partial Regex PlainWord();

    [GeneratedRegex(@"[^A-Za-z0-9_.\-]")]
    private static partial Regex JobNameUnsafe();
}
