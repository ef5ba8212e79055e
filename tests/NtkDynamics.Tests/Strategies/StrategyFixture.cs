using NtkDynamics.Continual;
using NtkDynamics.Data;
using NtkDynamics.Nn;
using NtkDynamics.Strategies;
using NtkDynamics.Tensors;

namespace NtkDynamics.Tests.Strategies;

/// <summary>
/// A tiny continual problem for testing strategies: 6 classes of random 1 x 4 x 4 images (12 train, 6 test each), split into
/// 3 tasks of 2 classes (or, with <c>permuted</c>, 3 domain-incremental tasks of all 6 classes, each with its own pixel
/// permutation), and an MLP 16-8-6; everything seeded.
/// </summary>
internal sealed class StrategyFixture
{
    public TaskStream Stream { get; }
    public Model Model { get; }
    public StrategyContext Context { get; }

    public StrategyFixture(ulong seed = 5, HeadKind head = HeadKind.ClassIncremental, string loss = "cross-entropy", bool permuted = false)
    {
        var rng = new Rng(seed);
        ImageSplit Split(int perClass)
        {
            int n = 6 * perClass;
            var pixels = new byte[n * 16];
            for (int i = 0; i < pixels.Length; i++) pixels[i] = (byte)rng.NextInt(256);
            return new ImageSplit(pixels, [.. Enumerable.Range(0, n).Select(i => i % 6)], 1, 4, 4);
        }
        var data = new ImageDataset("random", "memory", [.. Enumerable.Range(0, 6).Select(c => $"c{c}")], Split(12), Split(6));
        Stream = permuted ? Streams.Permuted(data, 3, seed, new StreamOptions(head, ProbeSize: 6))
            : Streams.ClassSplit(data, 3, 2, seed: seed, options: new StreamOptions(head, ProbeSize: 6));
        var spec = ModelSpec.Mlp([1, 4, 4], [8], 6);
        Model = spec.Build(Parametrisation.Parse("standard"), seed);
        Context = new StrategyContext
        {
            Model = Model, Stream = Stream, Loss = new TaskLoss(loss, Stream), NewModel = () => spec.Build(Parametrisation.Parse("standard"), seed),
            Seed = seed, BatchSize = 8, LearningRate = 0.05, EpochsPerTask = 1,
        };
    }

    /// <summary>Trains <paramref name="strategy"/> on task <paramref name="task"/> for one epoch (BeginTask, steps with SGD, EndTask).</summary>
    public void TrainTask(IStrategy strategy, int task, double lr = 0.05)
    {
        var sgd = new Sgd(Model.Parameters, lr);
        var set = strategy.TrainingSet(task);
        strategy.BeginTask(task);
        for (int start = 0; start < set.Count; start += 8)
        {
            strategy.Step(set.Pick([.. Enumerable.Range(start, Math.Min(8, set.Count - start))]), task);
            sgd.Step();
        }
        strategy.EndTask(task);
    }

    /// <summary>The first <paramref name="count"/> training samples of task <paramref name="task"/>.</summary>
    public Samples Batch(int task, int count = 8) => Samples.OfTask(Stream.Tasks[task]).Pick([.. Enumerable.Range(0, count)]);
}
