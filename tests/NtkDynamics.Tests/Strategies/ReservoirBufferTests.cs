using NtkDynamics.Formats;
using NtkDynamics.Strategies;
using NtkDynamics.Tensors;

namespace NtkDynamics.Tests.Strategies;

public class ReservoirBufferTests
{
    [Fact]
    public void A_reservoir_holds_a_uniform_sample_of_everything_seen()
    {
        const int capacity = 10, seen = 100, trials = 20000;
        var kept = new int[seen];
        var rng = new Rng(42);
        for (int t = 0; t < trials; t++)
        {
            var buffer = new ReservoirBuffer(capacity);
            for (int i = 0; i < seen; i++) buffer.Add(i, 0, i % 7, [], rng);
            Assert.Equal(capacity, buffer.Count);
            foreach (int i in buffer.SamplesAt([.. Enumerable.Range(0, capacity)]).Indices) kept[i]++;
        }
        // every sample is kept with probability capacity / seen = 0.1, whenever it came: counts ~ Binomial(trials, 0.1)
        double p = (double)capacity / seen, expected = trials * p;
        double chi2 = kept.Sum(c => (c - expected) * (c - expected) / (expected * (1 - p)));
        Assert.True(chi2 < 148.2, $"chi-square {chi2:F1} over {seen} samples (99 degrees of freedom: P(> 148.2) = 0.001)");
        Assert.InRange(kept[..10].Average() / kept[^10..].Average(), 0.95, 1.05); // the first fill is not favoured
    }

    [Fact]
    public void It_fills_in_order_then_replaces_and_keeps_labels_tasks_and_logits()
    {
        var rng = new Rng(1);
        var buffer = new ReservoirBuffer(3, logitCount: 2);
        for (int i = 0; i < 3; i++) buffer.Add(10 + i, i, 20 + i, [i, -i], rng);
        int[] all = [0, 1, 2];
        Assert.Equal([10, 11, 12], buffer.SamplesAt(all).Indices);
        Assert.Equal([0, 1, 2], buffer.SamplesAt(all).Tasks);
        Assert.Equal([20, 21, 22], buffer.LabelsAt(all));
        Assert.Equal([2f, -2f, 0f, 0f], buffer.LogitsAt([2, 0]).Data);
        for (int i = 3; i < 50; i++) buffer.Add(10 + i, 9, 20 + i, [i, -i], rng);
        Assert.Equal(50, buffer.Seen);
        var samples = buffer.SamplesAt(all);
        for (int s = 0; s < 3; s++) // each slot still holds one consistent sample
        {
            int i = samples.Indices[s] - 10;
            Assert.Equal(20 + i, buffer.LabelsAt([s])[0]);
            Assert.Equal(new float[] { i, -i }, buffer.LogitsAt([s]).Data);
        }
    }

    [Fact]
    public void Samples_are_distinct_slots_uniformly_drawn()
    {
        var rng = new Rng(3);
        var buffer = new ReservoirBuffer(20);
        for (int i = 0; i < 8; i++) buffer.Add(i, 0, 0, [], rng);
        Assert.Equal(8, buffer.SampleSlots(32, rng).Length); // no more than it holds
        var counts = new int[8];
        for (int t = 0; t < 8000; t++)
        {
            int[] slots = buffer.SampleSlots(3, rng);
            Assert.Equal(3, slots.Distinct().Count());
            foreach (int s in slots) counts[s]++;
        }
        Assert.All(counts, c => Assert.InRange(c, 2800, 3200)); // 8000 · 3 / 8 = 3000 each, sd 41
    }

    [Fact]
    public void Saved_and_loaded_it_is_the_same_memory()
    {
        var rng = new Rng(4);
        var buffer = new ReservoirBuffer(5, 3);
        for (int i = 0; i < 12; i++) buffer.Add(i, i % 2, i % 3, [i, 2 * i, 3 * i], rng);
        var state = new Dictionary<string, NdArray>();
        buffer.Save(state);
        var copy = new ReservoirBuffer(5, 3);
        copy.Load(state, "test");
        int[] all = [0, 1, 2, 3, 4];
        Assert.Equal(buffer.Seen, copy.Seen);
        Assert.Equal(buffer.SamplesAt(all), copy.SamplesAt(all), (a, b) => a.Indices.SequenceEqual(b.Indices) && a.Tasks.SequenceEqual(b.Tasks));
        Assert.Equal(buffer.LogitsAt(all).Data, copy.LogitsAt(all).Data);

        var empty = new Dictionary<string, NdArray>();
        new ReservoirBuffer(5).Save(empty);
        copy = new ReservoirBuffer(5);
        copy.Load(empty, "test");
        Assert.Equal(0, copy.Count);
    }
}
