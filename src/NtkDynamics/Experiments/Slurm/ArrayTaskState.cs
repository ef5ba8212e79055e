namespace NtkDynamics.Experiments.Slurm;

/// <summary>
/// One array task (one sweep cell) as Slurm reports it: <see cref="State"/> is Slurm's state name in capitals
/// (PENDING, RUNNING, COMPLETING, COMPLETED, CANCELLED, FAILED, TIMEOUT, OUT_OF_MEMORY, ...);
/// <see cref="ExitCode"/> is <c>code:signal</c> where the source gives it (sacct, scontrol), else null.
/// </summary>
public sealed record ArrayTaskState(int Index, string State, string? ExitCode = null)
{
    private static readonly HashSet<string> Ended =
    [
        "COMPLETED", "CANCELLED", "FAILED", "TIMEOUT", "NODE_FAIL", "PREEMPTED", "BOOT_FAIL", "DEADLINE",
        "OUT_OF_MEMORY", "SPECIAL_EXIT", "REVOKED",
    ];

    /// <summary>True once the task has ended for good (any end state; COMPLETING is not one yet).</summary>
    public bool IsEnded => Ended.Contains(State);
}
