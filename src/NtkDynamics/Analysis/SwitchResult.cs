namespace NtkDynamics.Analysis;

/// <summary>
/// What happened at one task switch (from task <see cref="FromTask"/> to <see cref="ToTask"/> = FromTask + 1). "The switch" is
/// step s = the new task's start_step (the last step of the old task); "the window" is the measurements with step in
/// (s, <see cref="WindowEndStep"/>]; "pre" is the last measurement at or before s. Step counts are counted from s. Every
/// quantity is NaN (null in JSON) when the measurements it needs are missing; <see cref="SwitchQuantity.All"/> defines each.
/// </summary>
public sealed record SwitchResult
{
    /// <summary>k = 1, 2, ...: the switch into task k.</summary>
    public required int Switch { get; init; }
    public required int FromTask { get; init; }
    public required int ToTask { get; init; }
    public required int SwitchStep { get; init; }
    public required int WindowEndStep { get; init; }
    /// <summary>The new task's end_step.</summary>
    public required int TaskEndStep { get; init; }
    /// <summary>stream.json's similarity of the new task.</summary>
    public required double Similarity { get; init; }

    public required double VelocityPeak { get; init; }
    public required int? VelocityPeakSteps { get; init; }
    public required double VelocityBaseline { get; init; }
    public required double VelocityRatio { get; init; }

    public required double LambdaPre { get; init; }
    public required double LambdaMin { get; init; }
    public required int? LambdaMinSteps { get; init; }
    public required double LambdaDrop { get; init; }
    /// <summary>Null when λmax has not come back to its pre-switch level by the end of the new task (or was not measured).</summary>
    public required int? LambdaRecoverySteps { get; init; }

    public required double KernelDistanceInitBefore { get; init; }
    public required double KernelDistanceInitAfter { get; init; }
    public required double KernelDistanceJump { get; init; }
    public required double KernelDistanceAcross { get; init; }

    public required double AlignmentBefore { get; init; }
    public required double AlignmentEnd { get; init; }
    public required double AlignmentChange { get; init; }

    public required double AccuracyOldBefore { get; init; }
    public required double AccuracyOldEnd { get; init; }
    public required double AccuracyDrop { get; init; }
    public required double AccuracyOldMin { get; init; }
    public required double AccuracyDropMax { get; init; }

    /// <summary>The previous task's probe block: its drift from its end-of-task kernel at the first measurement after the switch.</summary>
    public required double OldTaskDriftFirst { get; init; }
    /// <summary>The same at the window's last measurement: how far the old task's kernel moved while the new task trained.</summary>
    public required double OldTaskDrift { get; init; }
}
