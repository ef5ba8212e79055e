using NtkDynamics.Continual;
using NtkDynamics.Nn;

namespace NtkDynamics.Strategies;

/// <summary>What a strategy works with: the model it trains, the stream, the training loss, and the trainer's settings it needs.</summary>
public sealed record StrategyContext
{
    public required Model Model { get; init; }
    public required TaskStream Stream { get; init; }
    public required TaskLoss Loss { get; init; }

    /// <summary>A new model of the same architecture (for LwF's copy of the old model; its values are loaded over).</summary>
    public required Func<Model> NewModel { get; init; }

    /// <summary>Seeds the strategy's own random stream (buffer sampling, reservoir decisions, warm-up order).</summary>
    public required ulong Seed { get; init; }

    /// <summary>train.batch_size, train's learning rate and epochs_per_task (LwF's warm-up uses them).</summary>
    public required int BatchSize { get; init; }
    public required double LearningRate { get; init; }
    public required int EpochsPerTask { get; init; }
}
