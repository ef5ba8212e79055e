using NtkDynamics.Continual;
using NtkDynamics.Data;
using NtkDynamics.Tests.Data;

namespace NtkDynamics.Tests.Continual;

public class DomainStreamsTests
{
    /// <summary>4 classes of 3 x 3 grey images, 6 train and 6 test each, pixel values distinct per image.</summary>
    private static ImageDataset Grey()
    {
        ImageSplit Split(int offset)
        {
            var pixels = new byte[24 * 9];
            for (int i = 0; i < pixels.Length; i++) pixels[i] = (byte)((i * 37 + offset) % 251);
            return new ImageSplit(pixels, [.. Enumerable.Range(0, 24).Select(i => i % 4)], 1, 3, 3);
        }
        return new ImageDataset("grey", "memory", ["a", "b", "c", "d"], Split(0), Split(5));
    }

    [Fact]
    public void A_rotation_turns_counter_clockwise_about_the_centre_and_fills_with_black()
    {
        float[] image = [1, 2, 3, 4, 5, 6, 7, 8, 9]; // rows top to bottom
        var scratch = new float[9];
        var quarter = (float[])image.Clone();
        new Rotation(90).Apply(quarter, 1, 3, 3, [-1f], scratch);
        // counter-clockwise: the top row becomes the left column, read bottom to top
        float[] expected = [3, 6, 9, 2, 5, 8, 1, 4, 7];
        // The sample points are off the pixels by cos 90° ≈ 6e-17 and rounding, so the float64 value is within 1e-14 of an
        // integer pixel; rounded to float32 (spacing 1e-6 here) it is that integer.
        for (int i = 0; i < 9; i++) Assert.Equal(expected[i], quarter[i]);
        var none = (float[])image.Clone();
        new Rotation(0).Apply(none, 1, 3, 3, [-1f], scratch);
        Assert.Equal(image, none);
        var eighth = (float[])image.Clone();
        new Rotation(45).Apply(eighth, 1, 3, 3, [-1f], scratch);
        Assert.Equal(5f, eighth[4]); // the centre stays: it samples itself, exactly
        // the top-left corner samples (x, y) = (1, 1 - √2): between the fill above the image and pixel (0, 1) = 2
        double fy = 2 - Math.Sqrt(2);
        // float64 on both sides (ours from cos and sin, within 1e-15), each rounded once to float32: at most an ulp apart
        Close.Ulps((float)((1 - fy) * -1 + fy * 2), eighth[0], 1);
        Assert.Equal(1.0, new Rotation(10).Similarity(new Rotation(370))); // 1 - 0 / 180: exact
        Assert.Equal(0.5, new Rotation(350).Similarity(new Rotation(80))); // 1 - 90 / 180: exact
    }

    [Fact]
    public void A_permutation_moves_every_channel_the_same_way()
    {
        float[] image = [1, 2, 3, 4, 10, 20, 30, 40]; // 2 channels of 2 x 2
        new PixelPermutation([3, 0, 2, 1]).Apply(image, 2, 2, 2, [0f, 0f], new float[8]);
        Assert.Equal([4f, 1, 3, 2, 40, 10, 30, 20], image);
        Assert.Throws<ArgumentException>(() => new PixelPermutation([0, 0, 1]));
        Assert.Equal(0.5, new PixelPermutation([0, 1, 3, 2]).Agreement(new PixelPermutation([0, 1, 2, 3])));
    }

    [Fact]
    public void Permuted_tasks_keep_all_labels_and_images_and_shift_only_the_inputs()
    {
        var data = Grey();
        var stream = Streams.Permuted(data, 3, seed: 4, new StreamOptions(ProbeSize: 12));
        Assert.True(stream.Domain);
        Assert.Equal(4, stream.NumClasses);
        var first = (PixelPermutation)stream.Tasks[0].Transform!;
        foreach (var task in stream.Tasks)
        {
            Assert.Equal([0, 1, 2, 3], task.Classes);
            Assert.Equal(Enumerable.Range(0, 24), task.TrainIndices);
            var p = (PixelPermutation)task.Transform!;
            Assert.Equal(p.Agreement(first), task.Similarity);
            // a batch of the task is the plain normalised images, permuted
            var plain = stream.Normalizer.Apply(data.Train, [5, 6]);
            var batch = stream.Batch(Split.Train, [5, 6], task.Index);
            for (int i = 0; i < 2; i++)
                for (int q = 0; q < 9; q++) Assert.Equal(plain.Data[i * 9 + p.Source[q]], batch.Images.Data[i * 9 + q]);
            Assert.Equal(data.Train.Labels[5], batch.Labels[0]);
        }
        Assert.NotEqual(first.Source, ((PixelPermutation)stream.Tasks[1].Transform!).Source);
        Assert.Equal(stream.Tasks.Select(t => ((PixelPermutation)t.Transform!).Source),
            Streams.Permuted(data, 3, seed: 4, new StreamOptions(ProbeSize: 12)).Tasks.Select(t => ((PixelPermutation)t.Transform!).Source));
    }

    [Fact]
    public void A_domain_probe_shows_the_same_images_as_every_task()
    {
        var data = Grey();
        var stream = Streams.Rotated(data, 3, [0, 30, 90], seed: 2, new StreamOptions(ProbeSize: 12));
        var probe = stream.Probe;
        Assert.Equal(12, probe.Indices.Length);
        Assert.Equal([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2], probe.Tasks);
        Assert.Equal(probe.Indices[..4], probe.Indices[4..8]);
        Assert.Equal([0, 1, 2, 3], probe.Labels[..4]); // class-balanced within each task's rows
        for (int t = 0; t < 3; t++)
        {
            Assert.Equal(Enumerable.Range(4 * t, 4), stream.Tasks[t].ProbeRows);
            Assert.Equal(stream.Batch(Split.Test, probe.Indices[..4], t).Images.Data, probe.Images.Rows(4 * t, 4).ToArray());
        }
        Assert.Equal([1, 1 - 30 / 180.0, 0.5], stream.Tasks.Select(t => t.Similarity));
        Assert.Contains("rotation by 30°", stream.Describe());

        Assert.Contains("stream.probe_size", Assert.Throws<InputException>(() => Streams.Rotated(data, 3, null, 0, new StreamOptions(ProbeSize: 10))).Message);
        Assert.Contains("stream.angles", Assert.Throws<InputException>(() => Streams.Rotated(data, 3, [0, 1])).Message);
        var drawn = Streams.Rotated(data, 4, null, seed: 8, new StreamOptions(ProbeSize: 4));
        Assert.All(drawn.Tasks, t => Assert.InRange(((Rotation)t.Transform!).Degrees, 0, 180));
    }

    [Fact]
    public void Class_streams_give_each_task_the_probe_rows_of_its_classes()
    {
        var ten = DatasetToolsTests.Tiny(classes: 10, trainPerClass: 20, testPerClass: 20);
        var stream = Streams.ClassOverlap(ten, 5, [2], seed: 1);
        foreach (var task in stream.Tasks)
            Assert.Equal(Enumerable.Range(0, 32).Where(r => task.Mask[stream.Probe.Labels[r]]), task.ProbeRows);
        Assert.All(stream.Probe.Tasks, t => Assert.Equal(0, t));
    }

    [Fact]
    public void Superclass_split_makes_one_task_per_superclass()
    {
        var ten = DatasetToolsTests.Tiny(classes: 6, trainPerClass: 4, testPerClass: 4).WithSuperclasses([1, 0, 1, 2, 0, 2], ["zero", "one", "two"]);
        var stream = Streams.SuperclassSplit(ten, options: new StreamOptions(ProbeSize: 6));
        Assert.Equal(["zero", "one", "two"], stream.Tasks.Select(t => t.Name));
        Assert.Equal([[1, 4], [0, 2], [3, 5]], stream.Tasks.Select(t => t.Classes));
        Assert.Equal([1, 4, 0, 2, 3, 5], stream.HeadClasses);
        Assert.Equal([[2, 0]], Streams.SuperclassSplit(ten, tasks: 1, classOrder: [1], options: new StreamOptions(ProbeSize: 4)).Tasks.Select(t => t.Classes.Order().Reverse().ToArray()));
        var e = Assert.Throws<InputException>(() => Streams.SuperclassSplit(DatasetToolsTests.Tiny(4, 2, 2)));
        Assert.Contains("superclass", e.Message);
        Assert.Contains("stream.tasks", Assert.Throws<InputException>(() => Streams.SuperclassSplit(ten, tasks: 4)).Message);
    }
}
