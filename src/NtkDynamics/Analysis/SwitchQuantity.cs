namespace NtkDynamics.Analysis;

/// <summary>
/// One number of a <see cref="SwitchResult"/>: its analysis.json key, a short column header, its definition (written into
/// analysis.json) and how to read it (NaN when missing). Headline quantities are the ones tables and sweep figures show; they
/// carry a title for figures.
/// </summary>
public sealed record SwitchQuantity(string Key, string Header, string Definition, Func<SwitchResult, double> Value, string? Title = null)
{
    /// <summary>Whether tables and sweep figures show it.</summary>
    public bool Headline => Title != null;

    private static double D(int? v) => v ?? double.NaN;

    /// <summary>Every quantity, in the order analysis.json and the tables list them.</summary>
    public static IReadOnlyList<SwitchQuantity> All { get; } =
    [
        new("similarity", "sim", "stream.json's similarity of the new task", r => r.Similarity),
        new("velocity_peak", "v_peak", "max velocity (kernel_distance_prev / dt_steps) over the window's measurements", r => r.VelocityPeak, "Peak velocity"),
        new("velocity_peak_steps", "v_peak@", "steps from the switch to the measurement with the peak velocity", r => D(r.VelocityPeakSteps)),
        new("velocity_baseline", "v_late",
            "median velocity over the previous task's late part: its measurements with step in (s - late_fraction*(s - start), s], start the previous task's start_step (at least its last measurement)",
            r => r.VelocityBaseline),
        new("velocity_ratio", "v_ratio", "velocity_peak / velocity_baseline", r => r.VelocityRatio, "Peak / late velocity"),
        new("lambda_pre", "λ_pre", "lambda_max at the last measurement at or before the switch step", r => r.LambdaPre),
        new("lambda_min", "λ_min", "min lambda_max over the window's measurements", r => r.LambdaMin),
        new("lambda_min_steps", "λ_min@", "steps from the switch to that minimum", r => D(r.LambdaMinSteps)),
        new("lambda_drop", "λ_drop", "depth of the check-mark: (lambda_pre - lambda_min) / lambda_pre (negative when lambda_max only rose)", r => r.LambdaDrop, "Relative λmax drop"),
        new("lambda_recovery_steps", "λ_recover",
            "steps from the switch to the first measurement after the minimum with lambda_max >= lambda_pre, searched up to the new task's end; 0 when lambda_min >= lambda_pre; null = not recovered",
            r => D(r.LambdaRecoverySteps), "Steps to λmax recovery"),
        new("kernel_distance_init_before", "S0_before", "kernel_distance_init at the last measurement at or before the switch", r => r.KernelDistanceInitBefore),
        new("kernel_distance_init_after", "S0_after", "kernel_distance_init at the first measurement after the switch", r => r.KernelDistanceInitAfter),
        new("kernel_distance_jump", "ΔS0", "kernel_distance_init_after - kernel_distance_init_before", r => r.KernelDistanceJump, "Jump in S(Θ₀, Θₜ)"),
        new("kernel_distance_across", "S_across",
            "kernel_distance_prev at the first measurement after the switch: S(Θ_pre, Θ_first after)", r => r.KernelDistanceAcross, "S across the switch"),
        new("alignment_before", "A_before", "alignment at the last measurement at or before the switch", r => r.AlignmentBefore),
        new("alignment_end", "A_end", "alignment at the window's last measurement", r => r.AlignmentEnd),
        new("alignment_change", "ΔA", "alignment_end - alignment_before", r => r.AlignmentChange, "Alignment change"),
        new("accuracy_old_before", "acc_before", "accuracy on the previous task at its last evaluation at or before the switch step", r => r.AccuracyOldBefore),
        new("accuracy_old_end", "acc_end", "accuracy on the previous task at the last evaluation in (switch, end of the new task]", r => r.AccuracyOldEnd),
        new("accuracy_drop", "acc_drop", "accuracy_old_before - accuracy_old_end", r => r.AccuracyDrop, "Old-task accuracy drop"),
        new("accuracy_old_min", "acc_min", "min accuracy on the previous task over the evaluations in (switch, end of the new task]", r => r.AccuracyOldMin),
        new("accuracy_drop_max", "acc_drop_max", "accuracy_old_before - accuracy_old_min", r => r.AccuracyDropMax),
        new("old_task_drift_first", "S_old@1",
            "old_task_drift of the previous task at the first measurement after the switch: S(its probe block at its end, the block now)", r => r.OldTaskDriftFirst),
        new("old_task_drift", "S_old",
            "old_task_drift of the previous task at the window's last measurement: how far its probe block of the kernel moved while the new task trained",
            r => r.OldTaskDrift, "Old task's kernel drift"),
    ];

    /// <summary>The headline quantities, in order.</summary>
    public static IReadOnlyList<SwitchQuantity> Headlines { get; } = [.. All.Where(q => q.Headline)];
}
