using NtkDynamics.Continual;
using NtkDynamics.Data;
using NtkDynamics.Experiments;
using NtkDynamics.Nn;
using NtkDynamics.Strategies;
using NtkDynamics.Tensors;

namespace NtkDynamics.Tests.Strategies;

public class StrategiesTests
{
    [Fact]
    public void Joint_training_trains_each_task_on_everything_so_far()
    {
        var f = new StrategyFixture();
        var joint = new Joint(f.Context);
        Assert.Equal(f.Stream.Tasks[0].TrainIndices, joint.TrainingSet(0).Indices);
        var all = joint.TrainingSet(2);
        Assert.Equal(f.Stream.Tasks.SelectMany(t => t.TrainIndices), all.Indices);
        Assert.Equal(f.Stream.Tasks.SelectMany(t => t.TrainIndices.Select(_ => t.Index)), all.Tasks);
    }

    [Fact]
    public void ER_trains_on_the_minibatch_and_a_replayed_sample_as_one_batch()
    {
        var f = new StrategyFixture(seed: 3);
        var er = new ExperienceReplay(f.Context, buffer: 5, replayBatch: 3);
        f.TrainTask(er, 0);
        Assert.Equal(5, er.Buffer.Count);
        Assert.Equal(24, er.Buffer.Seen);
        var rng = Rng.FromState(Array.ConvertAll(er.SaveState()["rng"].ToInt64(), w => (ulong)w));
        var replay = er.Buffer.SamplesAt(er.Buffer.SampleSlots(3, rng));
        var batch = f.Batch(1);
        var both = f.Stream.Batch(Split.Train, batch.Concat(replay));
        double expected = Losses.CrossEntropy(f.Model.Forward(both.Images), both.Labels, new Tensor(11, 6));
        Assert.Equal(expected, er.Step(batch, 1), 1e-6);
        Assert.Equal(32, er.Buffer.Seen);
    }

    [Fact]
    public void Under_the_task_incremental_head_each_row_is_scored_against_its_own_task()
    {
        var f = new StrategyFixture(head: HeadKind.TaskIncremental);
        var samples = f.Batch(0, 3).Concat(f.Batch(2, 2));
        var batch = f.Stream.Batch(Split.Train, samples);
        var logits = f.Model.Forward(batch.Images);
        var grad = new Tensor(logits.Shape);
        double value = f.Context.Loss.Compute(logits, batch.Labels, samples.Tasks, grad, weight: 2);
        // direct: the mean over rows of each row's cross-entropy within its task's classes
        double expected = 0;
        for (int i = 0; i < 5; i++)
        {
            var row = new Tensor(logits.Rows(i, 1).ToArray(), 1, 6);
            var g = new Tensor(1, 6);
            expected += Losses.CrossEntropy(row, [batch.Labels[i]], g, f.Stream.LogitMask(samples.Tasks[i])) / 5;
            // both round one float64 gradient to float32, ours once more after scaling by 2/5: within 2 ulps
            for (int c = 0; c < 6; c++) Close.Ulps(2 * g.Data[c] / 5, grad.Data[i * 6 + c], 2, $"row {i} logit {c}");
        }
        // five rows' log-sum-exp (about 10 roundings each, logits below the loss: 2x), their mean and the weight: under 64 a side
        Close.Roundings(2 * expected, value, 64, 2);
    }

    [Fact]
    public void The_strategy_section_has_mammoths_defaults_and_each_kind_only_its_own_keys()
    {
        ExperimentConfig Parse(string strategy) => ExperimentConfig.Parse($"strategy: {strategy}");
        Assert.Equal("finetune", ExperimentConfig.Parse("{}").Strategy.Kind);
        Assert.Equal(new StrategyOptions("derpp", Buffer: 500, ReplayBatch: 32, Alpha: 0.2, Beta: 0.5), Parse("{kind: derpp}").Strategy);
        Assert.Equal(new StrategyOptions("lwf", Alpha: 3, Temperature: 2), Parse("{kind: lwf}").Strategy);
        Assert.Equal(new StrategyOptions("ewc-online", Lambda: 10, Gamma: 1), Parse("{kind: ewc-online}").Strategy);
        Assert.Equal(new StrategyOptions("er", Buffer: 200, ReplayBatch: 10), Parse("{kind: er, buffer: 200, replay_batch: 10}").Strategy);

        var e = Assert.Throws<InputException>(() => Parse("{kind: er, alpha: 0.3}"));
        Assert.Contains("strategy.alpha", e.Message);
        Assert.Contains("buffer", e.Message); // what er does allow
        Assert.Contains("strategy.kind", Assert.Throws<InputException>(() => Parse("{kind: icarl}")).Message);
        Assert.Contains("strategy.buffer", Assert.Throws<InputException>(() => Parse("{kind: agem, buffer: 0}")).Message);
        Assert.Contains("strategy.gamma", Assert.Throws<InputException>(() => Parse("{kind: ewc-online, gamma: 1.5}")).Message);
        Assert.Contains("strategy.temperature", Assert.Throws<InputException>(() => Parse("{kind: lwf, temperature: 0}")).Message);

        foreach (string kind in StrategyOptions.Kinds)
        {
            var config = Parse($"{{kind: {kind}}}");
            Assert.Equal(config.Strategy, ExperimentConfig.Parse(config.ToYaml()).Strategy);
            Assert.Equal(config.ToYaml(), ExperimentConfig.Parse(config.ToYaml()).ToYaml());
        }
    }

    [Fact]
    public void AGem_needs_at_least_one_memory_slot_per_task()
    {
        var config = ExperimentConfig.Parse("""
            data: {dataset: embedded, train_per_class: 4, test_per_class: 5}
            stream: {kind: class-split, tasks: 5, classes_per_task: 2, probe_size: 10}
            strategy: {kind: agem, buffer: 4}
            """);
        var e = Assert.Throws<InputException>(() => Experiment.Build(config));
        Assert.Contains("strategy.buffer", e.Message);
    }
}
