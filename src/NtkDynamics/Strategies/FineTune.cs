using NtkDynamics.Continual;

namespace NtkDynamics.Strategies;

/// <summary>
/// Fine-tuning: plain training on each task in turn, nothing kept (the paper's setting, Mammoth's models/sgd.py): the lower
/// bound every strategy should beat.
/// </summary>
public class FineTune(StrategyContext context) : Strategy(context)
{
    public override string Kind => "finetune";

    public override double Step(Samples batch, int task)
    {
        Model.ZeroGrad();
        return Learn(batch).Loss;
    }
}
