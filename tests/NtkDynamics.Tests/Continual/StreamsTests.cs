using NtkDynamics.Continual;
using NtkDynamics.Data;
using NtkDynamics.Tests.Data;

namespace NtkDynamics.Tests.Continual;

public class StreamsTests
{
    /// <summary>10 classes, 20 train and 20 test images each; image i of a split has label i % 10 and pixel 0 = i.</summary>
    private static readonly ImageDataset Ten = DatasetToolsTests.Tiny(classes: 10, trainPerClass: 20, testPerClass: 20);

    private static int[] ClassesOf(ImageSplit split, int[] indices) => indices.Select(i => split.Labels[i]).Distinct().Order().ToArray();

    [Theory]
    [InlineData(2, 5)]
    [InlineData(5, 2)]
    public void Class_split_gives_disjoint_tasks_with_all_their_images(int tasks, int perTask)
    {
        var stream = Streams.ClassSplit(Ten, tasks, perTask);
        Assert.Equal(tasks, stream.Tasks.Count);
        for (int t = 0; t < tasks; t++)
        {
            var task = stream.Tasks[t];
            int[] expected = Enumerable.Range(t * perTask, perTask).ToArray();
            Assert.Equal(expected, task.Classes);
            Assert.Equal(expected, ClassesOf(Ten.Train, task.TrainIndices));
            Assert.Equal(20 * perTask, task.TrainIndices.Length);
            Assert.Equal(20 * perTask, task.TestIndices.Length);
            Assert.Equal(task.TrainIndices.Order(), task.TrainIndices);
            Assert.Equal(t == 0 ? 1.0 : 0.0, task.Similarity);
        }
        Assert.Equal(10, stream.NumClasses);
    }

    [Fact]
    public void Class_split_order_is_given_or_shuffled_by_seed()
    {
        var given = Streams.ClassSplit(Ten, 2, 2, classOrder: [9, 3, 4, 0]);
        Assert.Equal([9, 3], given.Tasks[0].Classes);
        Assert.Equal([4, 0], given.Tasks[1].Classes);
        Assert.Equal([9, 3, 4, 0], given.HeadClasses);
        Assert.Equal(4, given.NumClasses);

        var a = Streams.ClassSplit(Ten, 5, 2, shuffle: true, seed: 3);
        var b = Streams.ClassSplit(Ten, 5, 2, shuffle: true, seed: 3);
        var c = Streams.ClassSplit(Ten, 5, 2, shuffle: true, seed: 4);
        Assert.Equal(a.HeadClasses, b.HeadClasses);
        Assert.NotEqual(a.HeadClasses, c.HeadClasses);
        Assert.Equal(Enumerable.Range(0, 10), a.HeadClasses.Order());
    }

    [Fact]
    public void Class_overlap_slides_the_window_with_jaccard_similarity()
    {
        var stream = Streams.ClassOverlap(Ten, classesPerTask: 5, shifts: [0, 1, 2, 3, 4, 5]);
        Assert.Equal(["E0", "E0", "E1", "E2", "E3", "E4", "E5"], stream.Tasks.Select(t => t.Name));
        for (int i = 0; i <= 5; i++)
        {
            var task = stream.Tasks[i + 1];
            Assert.Equal(Enumerable.Range(i, 5), task.Classes);
            Assert.Equal((5.0 - i) / (5 + i), task.Similarity); // |A ∩ B| / |A ∪ B| of counts: one correctly rounded division
            Assert.Equal(Enumerable.Range(i, 5), ClassesOf(Ten.Test, task.TestIndices));
        }
        Assert.Equal(1.0 / 9, Streams.JaccardIndex([0, 1, 2, 3, 4], [4, 5, 6, 7, 8])); // as above
        Assert.Equal(0, Streams.ClassOverlap(Ten, 5, [5]).Tasks[1].Similarity);
    }

    [Fact]
    public void Frequency_mixture_draws_exact_proportions()
    {
        var stream = Streams.FrequencyMixture(Ten, alphas: [0, 0.3, 0.9, 1], trainSize: 100, testSize: 40, seed: 5);
        int[] d1Train = [0, 30, 90, 100], d1Test = [0, 12, 36, 40];
        for (int t = 0; t < 4; t++)
        {
            var task = stream.Tasks[t];
            int[] labels = task.TrainIndices.Select(i => Ten.Train.Labels[i]).ToArray();
            Assert.Equal(100, labels.Length);
            Assert.Equal(task.TrainIndices.Distinct().Count(), labels.Length); // without replacement
            Assert.Equal(d1Train[t], labels.Count(y => y >= 5));
            Assert.Equal(d1Test[t], task.TestIndices.Count(i => Ten.Test.Labels[i] >= 5));
            // evenly over each set's classes: 30 from D1 = 6 per class, 70 from D0 = 14 per class
            foreach (var group in labels.GroupBy(y => y >= 5))
                Assert.Single(group.CountBy(y => y).Select(kv => kv.Value).Distinct());
        }
        Assert.Equal([1.0, 0.7, 0.1, 0.0], stream.Tasks.Select(t => Math.Round(t.Similarity, 12)));
        Assert.Equal([0, 1, 2, 3, 4], stream.Tasks[0].Classes);       // alpha 0: D0 only
        Assert.Equal(Enumerable.Range(0, 10), stream.Tasks[1].Classes);
        Close.Roundings(0.3 / 5, stream.Tasks[1].Weights[9], 3); // a decimal weight over 5 classes, perhaps normalised
    }

    [Fact]
    public void Frequency_mixture_splits_uneven_sizes_exactly()
    {
        // 51 * 0.25 = 12.75 -> 13 from D1 = {7, 8} (7 + 6), 38 from D0 = {1, 2, 3} (13 + 13 + 12)
        var stream = Streams.FrequencyMixture(Ten, [0.25], trainSize: 51, testSize: 10, set0: [1, 2, 3], set1: [7, 8]);
        var counts = stream.Tasks[0].TrainIndices.Select(i => Ten.Train.Labels[i]).CountBy(y => y).OrderBy(kv => kv.Key).Select(kv => kv.Value);
        Assert.Equal([13, 13, 12, 7, 6], counts);
    }

    [Fact]
    public void Same_seed_gives_the_same_stream_and_another_seed_another()
    {
        TaskStream Make(ulong seed) => Streams.FrequencyMixture(Ten, [0.1, 0.5], 60, 20, seed: seed);
        var (a, b, c) = (Make(1), Make(1), Make(2));
        for (int t = 0; t < 2; t++)
        {
            Assert.Equal(a.Tasks[t].TrainIndices, b.Tasks[t].TrainIndices);
            Assert.Equal(a.Tasks[t].Probe.Indices, b.Tasks[t].Probe.Indices);
        }
        Assert.Equal(a.Probe.Images.Data, b.Probe.Images.Data);
        Assert.NotEqual(a.Tasks[1].TrainIndices, c.Tasks[1].TrainIndices);
    }

    [Fact]
    public void Custom_tasks_use_weights_and_sizes_or_all_images()
    {
        var stream = Streams.Custom(Ten, [new TaskSpec([2, 6]), new TaskSpec([6, 7, 8], Weights: [2, 1, 1], TrainSize: 40, TestSize: 8, Name: "skewed")]);
        Assert.Equal(40, stream.Tasks[0].TrainIndices.Length);
        var counts = stream.Tasks[1].TrainIndices.Select(i => Ten.Train.Labels[i]).CountBy(y => y).OrderBy(kv => kv.Key).Select(kv => kv.Value);
        Assert.Equal([20, 10, 10], counts);
        Assert.Equal("skewed", stream.Tasks[1].Name);
        Assert.Equal(0.25, stream.Tasks[1].Similarity); // {2,6} vs {6,7,8}: 1 / 4, exact
        Assert.Equal([0.5, 0.25, 0.25], stream.Tasks[1].Weights);
    }

    [Fact]
    public void Heads_number_classes_by_first_appearance_and_masks_follow_tasks()
    {
        var classIncremental = Streams.ClassSplit(Ten, 2, 2, classOrder: [7, 1, 3, 0]);
        Assert.Null(classIncremental.LogitMask(0));
        Assert.Contains("class-incremental", classIncremental.Describe());

        var taskIncremental = Streams.ClassSplit(Ten, 2, 2, classOrder: [7, 1, 3, 0], options: new StreamOptions(Head: HeadKind.TaskIncremental));
        Assert.Equal([true, true, false, false], taskIncremental.LogitMask(0)!);
        Assert.Equal([false, false, true, true], taskIncremental.LogitMask(1)!);
        Assert.Contains("task-incremental", taskIncremental.Describe());
        Assert.Equal(["c7", "c1", "c3", "c0"], taskIncremental.HeadClassNames);

        // labels come back in the head's numbering: class 3 is logit 2
        var batch = taskIncremental.Batch(Split.Train, [3, 7, 10], 0);
        Assert.Equal([2, 0, 3], batch.Labels);
        Assert.Equal([3, 2, 1, 2], batch.Images.Shape);
        Assert.Equal(taskIncremental.Normalizer.Apply(Ten.Train, [3, 7, 10]).Data, batch.Images.Data);
        Assert.Throws<ArgumentException>(() => taskIncremental.Batch(Split.Train, [5], 0));
    }

    [Fact]
    public void Probes_are_class_balanced_sorted_and_normalised()
    {
        var stream = Streams.ClassOverlap(Ten, 5, [2], seed: 9);
        var probe = stream.Probe;
        Assert.Equal(Split.Test, probe.Split);
        Assert.Equal([32, 2, 1, 2], probe.Images.Shape);
        // 32 over the 7 head classes: 5,5,5,5,4,4,4, labels sorted
        Assert.Equal([5, 5, 5, 5, 4, 4, 4], probe.Labels.CountBy(y => y).OrderBy(kv => kv.Key).Select(kv => kv.Value));
        Assert.Equal(probe.Labels.Order(), probe.Labels);
        Assert.Equal(probe.Indices.Distinct().Count(), probe.Indices.Length);
        Assert.All(probe.Indices.Zip(probe.Labels), p => Assert.Equal(stream.HeadClasses[p.Second], Ten.Test.Labels[p.First]));
        Assert.Equal(stream.Batch(Split.Test, probe.Indices, 0).Images.Data, probe.Images.Data);

        var second = stream.Tasks[1].Probe;
        Assert.Equal(32, second.Indices.Length);
        Assert.All(second.Indices, i => Assert.Contains(i, stream.Tasks[1].TestIndices));
        Assert.Equal(Enumerable.Range(2, 5), second.Indices.Select(i => Ten.Test.Labels[i]).Distinct().Order());

        var trainProbe = Streams.ClassOverlap(Ten, 5, [2], options: new StreamOptions(ProbeSize: 10, ProbeSplit: Split.Train)).Probe;
        Assert.Equal(Split.Train, trainProbe.Split);
        Assert.Equal(10, trainProbe.Labels.Length);
    }

    [Fact]
    public void Bad_values_name_their_key()
    {
        void Fails(string expected, Action build) => Assert.Contains(expected, Assert.Throws<InputException>(build).Message);

        Fails("stream.alphas[1]: mixture weight 1.5 is outside [0, 1]", () => Streams.FrequencyMixture(Ten, [0, 1.5], 10, 10));
        Fails("stream.alphas[0]: mixture weight NaN", () => Streams.FrequencyMixture(Ten, [double.NaN], 10, 10));
        Fails("stream.set1: class 4 is also in stream.set0", () => Streams.FrequencyMixture(Ten, [0.5], 10, 10, set0: [0, 4], set1: [4, 5]));
        Fails("stream.set0: the class set is empty", () => Streams.FrequencyMixture(Ten, [0.5], 10, 10, set0: [], set1: [4, 5]));
        Fails("stream.alphas[0]: task alpha=0.50 needs 100 train images of class 0 but the train split has 20", () => Streams.FrequencyMixture(Ten, [0.5], 200, 10, set0: [0], set1: [1]));
        Fails("stream.class_order[1]: class 10 is out of range", () => Streams.ClassSplit(Ten, 1, 2, classOrder: [0, 10]));
        Fails("stream.class_order[2]: class 1 is listed twice", () => Streams.ClassSplit(Ten, 1, 3, classOrder: [0, 1, 1]));
        Fails("stream.tasks: 3 tasks x 4 classes need 12 classes", () => Streams.ClassSplit(Ten, 3, 4));
        Fails("stream.classes_per_task: must be positive", () => Streams.ClassSplit(Ten, 3, 0));
        Fails("stream.shifts[0]: shift 6 is outside 0..5", () => Streams.ClassOverlap(Ten, 5, [6]));
        Fails("stream.tasks_list[1].classes[0]: class -1 is out of range", () => Streams.Custom(Ten, [new TaskSpec([1]), new TaskSpec([-1])]));
        Fails("stream.tasks_list[0].weights[1]: weight -1", () => Streams.Custom(Ten, [new TaskSpec([1, 2], [1, -1], 10, 10)]));
        Fails("stream.tasks_list[0].train_size: a task with weights needs", () => Streams.Custom(Ten, [new TaskSpec([1, 2], [1, 1])]));
        Fails("stream.probe_size: must be positive", () => Streams.ClassSplit(Ten, 1, 2, options: new StreamOptions(ProbeSize: 0)));
        Fails("stream.probe_size: the probe needs 21 test images of class 0 but there are 20", () => Streams.ClassSplit(Ten, 1, 2, options: new StreamOptions(ProbeSize: 42)));

        Fails("stream.head: both is not class-incremental or task-incremental", () => StreamOptions.ParseHead("both"));
        Fails("stream.probe_split: val is not train or test", () => StreamOptions.ParseSplit("val"));
        Assert.Equal(HeadKind.TaskIncremental, StreamOptions.ParseHead("Task-Incremental"));

        // an empty class: a data set whose class 2 has no images
        var keep = Enumerable.Range(0, Ten.Train.Count).Where(i => Ten.Train.Labels[i] != 2).ToArray();
        var holed = new ImageDataset("holed", "memory", Ten.ClassNames, Ten.Train.Select(keep), Ten.Test);
        Fails("stream.class_order: class 2 has no train images", () => Streams.ClassSplit(holed, 2, 2));
    }
}
