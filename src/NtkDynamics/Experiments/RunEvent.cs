namespace NtkDynamics.Experiments;

/// <summary>
/// What a run reports as it goes (for progress bars and logs). Kind is "start", "step", "measure", "eval", "message" or
/// "end"; the rest says where the run is and its latest loss, λmax and accuracy on the current task.
/// </summary>
public sealed record RunEvent(string Kind, int Step, int TotalSteps, int Task, int Tasks, double Epoch,
    double? Loss = null, double? LambdaMax = null, double? Accuracy = null, string? Message = null);
