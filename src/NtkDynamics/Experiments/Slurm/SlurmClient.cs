namespace NtkDynamics.Experiments.Slurm;

/// <summary>
/// Submits, watches and cancels job arrays with Slurm's commands (sbatch, squeue, scontrol, sacct, scancel).
/// Every method throws <see cref="SlurmException"/> when a command fails, with what it printed.
/// </summary>
public sealed class SlurmClient(IProcessRunner runner)
{
    /// <summary>A client that runs the commands found on PATH, with the environment this process has.</summary>
    public SlurmClient() : this(new SystemProcessRunner()) { }

    /// <summary>Submits a batch script (<c>sbatch --parsable</c>) from <paramref name="workingDirectory"/>; returns the job id.</summary>
    public string Submit(string scriptPath, string? workingDirectory = null) =>
        SlurmOutput.ParseJobId(Run("sbatch", ["--parsable", scriptPath], workingDirectory).Stdout);

    /// <summary>
    /// The array's tasks that are still in the queue (pending, running, completing), by cell (<c>squeue -r</c>).
    /// Ended tasks are not listed; an unknown or long-finished job gives an empty result.
    /// </summary>
    public IReadOnlyDictionary<int, ArrayTaskState> Queue(string jobId)
    {
        var r = Run("squeue", ["-h", "-r", "-j", jobId, "-o", "%i %T"], allowInvalidJob: true);
        return SlurmOutput.ParseSqueue(r.Stdout, jobId);
    }

    /// <summary>
    /// The array's tasks the controller still remembers (<c>scontrol show job -o</c>): queued ones and those that ended
    /// less than MinJobAge ago (300 s by default), with their end state. Works without accounting.
    /// A pending task that was cancelled leaves no record at all.
    /// </summary>
    public IReadOnlyDictionary<int, ArrayTaskState> Recent(string jobId)
    {
        var r = Run("scontrol", ["show", "job", "-o", jobId], allowInvalidJob: true);
        return SlurmOutput.ParseKeyValueRecords(r.Stdout, jobId);
    }

    /// <summary>
    /// The array's tasks from the accounting database (<c>sacct</c>), including long-finished ones;
    /// null when this cluster has no accounting (or no sacct).
    /// </summary>
    public IReadOnlyDictionary<int, ArrayTaskState>? Accounting(string jobId)
    {
        var r = runner.Run("sacct", ["-n", "-P", "-X", "-j", jobId, "-o", "JobID,State,ExitCode"]);
        if (r.ExitCode == SystemProcessRunner.NotFound ||
            r.ExitCode != 0 && r.Stderr.Contains("accounting storage is disabled", StringComparison.OrdinalIgnoreCase)) return null;
        Check("sacct", r);
        return SlurmOutput.ParseSacct(r.Stdout, jobId);
    }

    /// <summary>Cancels one array task (<c>scancel JOB_CELL</c>), or the whole array when <paramref name="cell"/> is null.
    /// Cancelling a task that has already ended does nothing.</summary>
    public void Cancel(string jobId, int? cell = null) =>
        Run("scancel", [cell is int c ? $"{jobId}_{c}" : jobId]);

    private ProcessResult Run(string program, IReadOnlyList<string> arguments, string? workingDirectory = null, bool allowInvalidJob = false)
    {
        var r = runner.Run(program, arguments, workingDirectory);
        if (allowInvalidJob && r.ExitCode != 0 && r.Stderr.Contains("Invalid job id", StringComparison.OrdinalIgnoreCase))
            return r with { Stdout = "" };
        Check($"{program} {string.Join(' ', arguments)}", r);
        return r;
    }

    private static void Check(string command, ProcessResult r)
    {
        if (r.ExitCode != 0)
        {
            var said = string.Join(" | ", (r.Stderr + "\n" + r.Stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            throw new SlurmException($"{command} failed (exit {r.ExitCode}): {said}");
        }
    }
}
