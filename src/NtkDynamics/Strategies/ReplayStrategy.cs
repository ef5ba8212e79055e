using NtkDynamics.Formats;

namespace NtkDynamics.Strategies;

/// <summary>A strategy with a memory of past samples (ER, DER++, A-GEM); the memory goes into checkpoints.</summary>
public abstract class ReplayStrategy(StrategyContext context, int buffer, int logitCount = 0) : Strategy(context)
{
    /// <summary>The memory.</summary>
    public ReservoirBuffer Buffer { get; } = new(buffer, logitCount);

    protected override void Save(IDictionary<string, NdArray> state) => Buffer.Save(state);

    protected override void Load(IReadOnlyDictionary<string, NdArray> state, string source) => Buffer.Load(state, source);
}
