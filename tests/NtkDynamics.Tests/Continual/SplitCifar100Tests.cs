using NtkDynamics.Data;
using NtkDynamics.Experiments;
using NtkDynamics.Tests.Data;

namespace NtkDynamics.Tests.Continual;

/// <summary>
/// Split CIFAR-100 (10 x 10) and the 20 superclasses as 20 tasks, on small synthetic CIFAR-100 binary files (there is no
/// CIFAR-100 on the test machine): records carry the standard coarse label of their fine label, as the real files do.
/// </summary>
public class SplitCifar100Tests
{
    /// <summary>The coarse label of each fine label in CIFAR-100 (fine labels in alphabetical order, as the data set numbers them).</summary>
    internal static readonly int[] Coarse =
    [
        4, 1, 14, 8, 0, 6, 7, 7, 18, 3, 3, 14, 9, 18, 7, 11, 3, 9, 7, 11, 6, 11, 5, 10, 7, 6, 13, 15, 3, 15,
        0, 11, 1, 10, 12, 14, 16, 9, 11, 5, 5, 19, 8, 8, 15, 13, 14, 17, 18, 10, 16, 4, 17, 4, 2, 0, 17, 4, 18, 17,
        10, 3, 2, 12, 12, 16, 12, 1, 9, 19, 2, 10, 0, 1, 16, 12, 9, 13, 15, 13, 16, 19, 2, 4, 6, 19, 5, 5, 8, 19,
        18, 1, 2, 15, 6, 0, 17, 8, 14, 13,
    ];

    /// <summary>cifar-100-binary/ with <paramref name="perClass"/> train and test records of every fine class (pixels from the record number).</summary>
    internal static string WriteFiles(TempFolder dir, int perClass, Func<int, int>? coarseOf = null)
    {
        string folder = dir.File("cifar-100-binary/x")[..^2];
        foreach (string name in new[] { "train.bin", "test.bin" })
        {
            var bytes = new List<byte>();
            for (int i = 0; i < 100 * perClass; i++)
            {
                int fine = i % 100;
                bytes.Add((byte)(coarseOf ?? (f => Coarse[f]))(fine));
                bytes.Add((byte)fine);
                for (int p = 0; p < 3072; p++) bytes.Add((byte)((fine * 13 + p * 7 + i) % 256));
            }
            File.WriteAllBytes(Path.Combine(folder, name), bytes.ToArray());
        }
        File.WriteAllLines(Path.Combine(folder, "coarse_label_names.txt"), Enumerable.Range(0, 20).Select(c => $"super{c}"));
        return folder;
    }

    [Fact]
    public void The_fine_data_set_knows_each_class_s_superclass_from_the_records()
    {
        using var dir = new TempFolder();
        var data = CifarBinary.LoadCifar100(WriteFiles(dir, 1));
        Assert.Equal(Coarse, data.Superclasses);
        Assert.Equal("super19", data.SuperclassNames![19]);
        Assert.Null(CifarBinary.LoadCifar100(Path.Combine(dir.Path, "cifar-100-binary"), coarse: true).Superclasses);
        Assert.Equal(Coarse, data.Subset(1, 1, 0).Superclasses);

        using var bad = new TempFolder();
        int record = 0;
        string folder = WriteFiles(bad, 2, fine => fine == 7 && record++ == 1 ? 3 : Coarse[fine]);
        var e = Assert.Throws<InputException>(() => CifarBinary.LoadCifar100(folder));
        Assert.Contains("fine class 7", e.Message);
    }

    [Theory]
    [InlineData("{kind: class-split, tasks: 10, classes_per_task: 10, probe_size: 20}", 10, 10)]
    [InlineData("{kind: superclass-split, probe_size: 20}", 20, 5)]
    public void Split_CIFAR_100_streams_run(string stream, int tasks, int classesPerTask)
    {
        using var dir = new TempFolder();
        string data = WriteFiles(dir, 4);
        var config = ExperimentConfig.Parse($"""
            name: c100
            output: {dir.Path}/runs
            model: {"{"}kind: cnn, width: 4{"}"}
            data: {"{"}dataset: {data}{"}"}
            stream: {stream}
            train: {"{"}lr: 0.01, batch_size: 50, epochs_per_task: 1, max_steps: 3{"}"}
            ntk: {"{"}every: 3{"}"}
            strategy: {"{"}kind: er, buffer: 20{"}"}
            """);
        var built = Experiment.Build(config);
        Assert.Equal(tasks, built.Stream.Tasks.Count);
        Assert.All(built.Stream.Tasks, t => Assert.Equal(classesPerTask, t.Classes.Length));
        if (classesPerTask == 5)
            Assert.All(built.Stream.Tasks, t => Assert.Single(t.Classes.Select(c => Coarse[c]).Distinct()));
        Assert.Equal(100, built.Stream.NumClasses);
        var run = Runner.Start(config);
        Assert.Equal("finished", run.ReadState());
    }
}
