namespace NtkDynamics.Experiments;

/// <summary>One eNTK measurement: a line of metrics.jsonl (docs/run-folder.md). JSON null or a missing key reads as NaN.</summary>
/// <param name="Step">Optimiser steps taken so far (0 = initialisation).</param>
/// <param name="Epoch">Epochs done so far, fractional, over the whole run.</param>
/// <param name="Task">Index of the task being trained (0 at step 0).</param>
/// <param name="LambdaMax">Largest eigenvalue of Θ_t.</param>
/// <param name="EigenvaluesTop">The top eigenvalues, descending (empty when absent).</param>
/// <param name="Trace">trace(Θ_t).</param>
/// <param name="EffectiveRank">Effective rank of Θ_t.</param>
/// <param name="KernelDistanceInit">S(Θ_0, Θ_t) = 1 - CKA.</param>
/// <param name="KernelDistanceSwitch">S(Θ_switch, Θ_t), Θ_switch the kernel at the start of the current task.</param>
/// <param name="KernelDistancePrev">S(Θ_prev, Θ_t) to the previous measurement (NaN at the first).</param>
/// <param name="Velocity">KernelDistancePrev / dt_steps.</param>
/// <param name="VelocityEpoch">KernelDistancePrev / dt_epochs.</param>
/// <param name="Alignment">Centred CKA(Θ_t, YYᵀ).</param>
/// <param name="Loss">Mean training loss since the previous measurement (NaN at step 0).</param>
/// <param name="KernelFile">Path of the saved kernel relative to the run folder, or null.</param>
/// <param name="OldTaskDrift">Per finished task: S(its probe block at its end, its block now) (empty when absent).</param>
public sealed record Measurement(int Step, double Epoch, int Task, double LambdaMax, double[] EigenvaluesTop, double Trace,
    double EffectiveRank, double KernelDistanceInit, double KernelDistanceSwitch, double KernelDistancePrev, double Velocity,
    double VelocityEpoch, double Alignment, double Loss, string? KernelFile, IReadOnlyDictionary<int, double> OldTaskDrift);

/// <summary>One row of accuracy.csv: the accuracy on <paramref name="EvalTask"/>'s test set while training <paramref name="TrainedTask"/>.</summary>
public sealed record Evaluation(int Step, double Epoch, int TrainedTask, int EvalTask, double Accuracy, double Loss);

/// <summary>One task of stream.json: it trains on steps StartStep+1 .. EndStep.</summary>
/// <param name="Index">0-based position in the stream.</param>
/// <param name="Name">The task's name.</param>
/// <param name="StartStep">The step before its first training step (the previous task's EndStep).</param>
/// <param name="EndStep">Its last training step.</param>
/// <param name="Similarity">The stream's similarity of this task to the previous one (NaN when absent).</param>
/// <param name="StepsPerEpoch">Optimiser steps in one epoch of this task.</param>
public sealed record TaskInfo(int Index, string Name, double Similarity, int StartStep, int EndStep, double StepsPerEpoch);

/// <summary>status.json: state is running, finished, diverged or failed.</summary>
public sealed record RunStatus(string State, string? Reason, int Step, int TotalSteps);

/// <summary>summary.json (written when a run ends): AccuracyMatrix[i][j] = accuracy on task j after training task i; NaN where a
/// number is missing.</summary>
public sealed record RunSummary(double[][] AccuracyMatrix, double AverageAccuracy, double Forgetting, double BackwardTransfer, double WallSeconds,
    double Steps = double.NaN, double TrainSeconds = double.NaN, double NtkSeconds = double.NaN, double ForwardTransfer = double.NaN);
