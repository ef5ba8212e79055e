using NtkDynamics.Continual;
using NtkDynamics.Data;
using NtkDynamics.Nn;
using NtkDynamics.Strategies;
using NtkDynamics.Tensors;

namespace NtkDynamics.Tests.Strategies;

public class AGemTests
{
    private static double Dot(float[] a, float[] b) => a.Zip(b, (x, y) => (double)x * y).Sum();

    [Fact]
    public void The_projection_removes_the_conflict_and_leaves_agreeing_gradients_alone()
    {
        var rng = new Rng(11);
        int projected = 0;
        for (int trial = 0; trial < 200; trial++)
        {
            var g = new float[50];
            var r = new float[50];
            rng.FillNormal(g, 1);
            rng.FillNormal(r, 1);
            var before = (float[])g.Clone();
            bool did = AGem.Project(g, r);
            double dotBefore = Dot(before, r);
            if (dotBefore >= 0)
            {
                Assert.False(did);
                Assert.Equal(before, g); // bit for bit
                continue;
            }
            projected++;
            Assert.True(did);
            double dot = Dot(g, r), scale = Math.Sqrt(Dot(g, g) * Dot(r, r));
            Assert.True(dot >= -1e-5 * scale && Math.Abs(dot) <= 1e-5 * scale, $"g̃·g_ref = {dot}");
            // g̃ = g - c r with c = g·r / r·r: what was removed is parallel to r
            double c = dotBefore / Dot(r, r);
            for (int i = 0; i < g.Length; i++) Assert.Equal(before[i] - c * r[i], g[i], 1e-5);
            Assert.True(Dot(g, g) < Dot(before, before)); // a projection shortens
        }
        Assert.InRange(projected, 60, 140); // both cases were exercised
    }

    [Fact]
    public void A_step_never_increases_the_memory_loss_to_first_order()
    {
        var f = new StrategyFixture(seed: 8);
        var agem = new AGem(f.Context, buffer: 6, replayBatch: 32);
        f.TrainTask(agem, 0);
        Assert.Equal(2, agem.Buffer.Count); // buffer / tasks = 2 samples of task 0
        int projections = 0;
        for (int b = 0; b < 3; b++)
        {
            var batch = f.Stream.Tasks[1].TrainIndices.Skip(8 * b).Take(8).ToArray();
            var samples = new Samples(batch, [.. batch.Select(_ => 1)]);
            var plain = new FineTune(f.Context);
            plain.Step(samples, 1);
            float[] g = ParameterVector.Gradients(f.Model);
            // the reference gradient: the mean loss over the whole memory (replay_batch exceeds what it holds)
            f.Model.ZeroGrad();
            var memory = f.Stream.Batch(Split.Train, agem.Buffer.SamplesAt([0, 1]));
            var logits = f.Model.Forward(memory.Images);
            var grad = new Tensor(logits.Shape);
            Losses.CrossEntropy(logits, memory.Labels, grad);
            f.Model.BackwardParameters(grad);
            float[] reference = ParameterVector.Gradients(f.Model);

            agem.Step(samples, 1);
            float[] stepped = ParameterVector.Gradients(f.Model);
            double scale = Math.Sqrt(Dot(stepped, stepped) * Dot(reference, reference));
            Assert.True(Dot(stepped, reference) >= -1e-5 * scale);
            var expected = (float[])g.Clone();
            if (AGem.Project(expected, reference)) projections++;
            for (int i = 0; i < g.Length; i++) Assert.Equal(expected[i], stepped[i], 1e-5);
            new Sgd(f.Model.Parameters, 0.5).Step();
        }
        Assert.True(projections > 0, "no step needed a projection; the test would not see one");
    }
}
