using NtkDynamics.Continual;
using NtkDynamics.Data;
using NtkDynamics.Formats;
using NtkDynamics.Nn;
using NtkDynamics.Tensors;

namespace NtkDynamics.Strategies;

/// <summary>
/// What the strategies share: the context, a random stream of their own (saved in checkpoints), and one forward + loss +
/// backward on a set of samples. Defaults: train on the task's own samples, nothing at task boundaries.
/// </summary>
public abstract class Strategy(StrategyContext context) : IStrategy
{
    protected StrategyContext Context { get; } = context;
    protected Model Model => Context.Model;
    protected TaskStream Stream => Context.Stream;

    /// <summary>The strategy's own random stream: buffer sampling, reservoir decisions, warm-up order.</summary>
    protected Rng Rng { get; private set; } = new(context.Seed ^ 0x6A09E667F3BCC909UL);

    public abstract string Kind { get; }

    public virtual Samples TrainingSet(int task) => Samples.OfTask(Stream.Tasks[task]);

    public virtual void BeginTask(int task) { }

    public abstract double Step(Samples batch, int task);

    public virtual void EndTask(int task) { }

    public IReadOnlyDictionary<string, NdArray> SaveState()
    {
        var state = new Dictionary<string, NdArray> { ["rng"] = new NdArray(Array.ConvertAll(Rng.GetState(), w => (long)w), 4) };
        Save(state);
        return state;
    }

    public void LoadState(IReadOnlyDictionary<string, NdArray> state, string source)
    {
        if (!state.TryGetValue("rng", out var rng) || rng.Length != 4) throw new InputException($"{source}: 'rng' (4 words) is missing");
        Rng = Rng.FromState(Array.ConvertAll(rng.ToInt64(), w => (ulong)w));
        Load(state, source);
    }

    /// <summary>Adds the strategy's own arrays to a checkpoint.</summary>
    protected virtual void Save(IDictionary<string, NdArray> state) { }

    /// <summary>Reads them back.</summary>
    protected virtual void Load(IReadOnlyDictionary<string, NdArray> state, string source) { }

    /// <summary>
    /// Forward on <paramref name="samples"/>, weight · the task loss (mean over the rows, <paramref name="mask"/> as
    /// <see cref="TaskLoss.Compute"/>), and its gradient added into the parameters' gradients. Returns the weighted loss,
    /// the batch and a copy of the logits (N, K).
    /// </summary>
    protected (double Loss, Batch Batch, Tensor Logits) Learn(Samples samples, double weight = 1, bool[]? mask = null)
    {
        var batch = Stream.Batch(Split.Train, samples);
        var logits = Model.Forward(batch.Images);
        var grad = new Tensor(logits.Shape);
        double loss = Context.Loss.Compute(logits, batch.Labels, samples.Tasks, grad, weight, mask);
        var copy = logits.Clone();
        Model.BackwardParameters(grad);
        return (loss, batch, copy);
    }
}
