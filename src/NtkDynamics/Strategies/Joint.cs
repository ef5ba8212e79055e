using NtkDynamics.Continual;

namespace NtkDynamics.Strategies;

/// <summary>
/// Joint training, the upper bound: task t trains on the union of the training samples of tasks 0..t (each shown as its own
/// task), so its last task trains on everything (Avalanche's Cumulative strategy). Mammoth's models/joint.py trains once on
/// the union after the last task; here that last stage starts from the model the earlier stages left, and every task still
/// has its switch, accuracy row and kernel trajectory.
/// </summary>
public sealed class Joint(StrategyContext context) : FineTune(context)
{
    public override string Kind => "joint";

    public override Samples TrainingSet(int task) =>
        Stream.Tasks.Take(task + 1).Select(Samples.OfTask).Aggregate((a, b) => a.Concat(b));
}
