using System.Text.Json;
using NtkDynamics.Continual;
using NtkDynamics.Data;
using NtkDynamics.Experiments;
using NtkDynamics.Nn;
using NtkDynamics.Strategies;
using NtkDynamics.Tensors;
using NtkDynamics.Tests.Experiments;

namespace NtkDynamics.Tests.Strategies;

/// <summary>
/// Strategies on domain-incremental streams: a replayed sample is shown in its own task's domain, and permuted and rotated
/// Fashion-MNIST (the embedded subset) run end to end from a config under replay, distillation and the Fisher penalty.
/// </summary>
public class DomainIncrementalTests
{
    [Fact]
    public void ER_replays_each_buffered_sample_through_its_own_task_s_permutation()
    {
        var f = new StrategyFixture(seed: 4, permuted: true);
        var er = new ExperienceReplay(f.Context, buffer: 6, replayBatch: 4);
        f.TrainTask(er, 0);
        var rng = Rng.FromState(Array.ConvertAll(er.SaveState()["rng"].ToInt64(), w => (ulong)w));
        var replay = er.Buffer.SamplesAt(er.Buffer.SampleSlots(4, rng));
        Assert.All(replay.Tasks, t => Assert.Equal(0, t));

        var batch = f.Batch(1);
        var both = f.Stream.Batch(Split.Train, batch.Concat(replay));
        // the replayed rows are task 0's images (its permutation), not task 1's view of the same indices
        Assert.Equal(f.Stream.Batch(Split.Train, replay.Indices, 0).Images.Data, both.Images.Rows(8, 4).ToArray());
        Assert.NotEqual(f.Stream.Batch(Split.Train, replay.Indices, 1).Images.Data, both.Images.Rows(8, 4).ToArray());
        double expected = Losses.CrossEntropy(f.Model.Forward(both.Images), both.Labels, new Tensor(12, 6));
        Assert.Equal(expected, er.Step(batch, 1), 1e-6);
    }

    [Theory]
    [InlineData("{kind: permuted, tasks: 3, probe_size: 30}", "derpp")]
    [InlineData("{kind: rotated, tasks: 3, angles: [0, 60, 120], probe_size: 30}", "lwf")]
    [InlineData("{kind: permuted, tasks: 3, probe_size: 30}", "ewc-online")]
    [InlineData("{kind: rotated, tasks: 3, probe_size: 30}", "agem")]
    public void Domain_incremental_Fashion_MNIST_runs_under_a_strategy_and_tracks_each_old_task_s_kernel(string stream, string strategy)
    {
        string dir = Path.Combine(Path.GetTempPath(), "ntk-test-" + Guid.NewGuid().ToString("N")[..8]);
        var config = ExperimentConfig.Parse(RunnerTests.TinyYaml("domain", dir, $"strategy: {{kind: {strategy}}}")
            .Replace("{kind: class-split, tasks: 2, classes_per_task: 5, probe_size: 10}", stream)
            .Replace("train_per_class: 16", "train_per_class: 4").Replace("epochs_per_task: 2", "epochs_per_task: 1"));
        var run = Runner.Start(config);
        Assert.Equal("finished", run.ReadState());

        using var streamJson = JsonDocument.Parse(File.ReadAllText(run.File("stream.json")));
        var tasks = streamJson.RootElement.GetProperty("tasks").EnumerateArray().ToList();
        Assert.Equal(3, tasks.Count);
        Assert.All(tasks, t => Assert.Equal(10, t.GetProperty("classes").GetArrayLength()));
        Assert.Equal(Enumerable.Range(0, 3).Select(t => Enumerable.Range(10 * t, 10).ToArray()),
            tasks.Select(t => t.GetProperty("probe_rows").EnumerateArray().Select(r => r.GetInt32()).ToArray()));

        var last = JsonDocument.Parse(File.ReadAllLines(run.Metrics)[^1]).RootElement;
        Assert.Equal(2, last.GetProperty("task").GetInt32());
        var drift = last.GetProperty("old_task_drift");
        Assert.True(drift.GetProperty("0").GetDouble() > 0);
        Assert.True(drift.GetProperty("1").GetDouble() > 0);

        using var summary = JsonDocument.Parse(File.ReadAllText(run.File("summary.json")));
        Assert.Equal(3, summary.RootElement.GetProperty("accuracy_matrix").GetArrayLength());
        Assert.Equal(JsonValueKind.Number, summary.RootElement.GetProperty("forward_transfer").ValueKind);
        Directory.Delete(dir, true);
    }
}
