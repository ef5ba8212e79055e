using NtkDynamics.Continual;
using NtkDynamics.Data;
using NtkDynamics.Formats;
using NtkDynamics.Nn;
using NtkDynamics.Strategies;
using NtkDynamics.Tensors;
using NtkDynamics.Tests.Nn;

namespace NtkDynamics.Tests.Strategies;

/// <summary>LwF's and DER++'s objectives against a direct computation, value and gradient.</summary>
public class DistillationLossTests
{
    // -(1/N) Σ_i Σ_{c∈mask} q log p, q and p softmaxes over the mask of teacher/T and logits/T, in float64 from scratch
    private static double DirectDistillation(float[] logits, float[] teacher, int n, int k, bool[] mask, double t)
    {
        double total = 0;
        for (int i = 0; i < n; i++)
        {
            int[] cs = [.. Enumerable.Range(0, k).Where(c => mask[c])];
            double zs = cs.Sum(c => Math.Exp(logits[i * k + c] / t)), ts = cs.Sum(c => Math.Exp(teacher[i * k + c] / t));
            foreach (int c in cs) total -= Math.Exp(teacher[i * k + c] / t) / ts * Math.Log(Math.Exp(logits[i * k + c] / t) / zs);
        }
        return total / n;
    }

    [Fact]
    public void LwF_distillation_matches_the_formula_and_its_gradient()
    {
        var rng = new Rng(21);
        int n = 4, k = 6;
        var logits = new Tensor(n, k);
        var teacher = new Tensor(n, k);
        rng.FillNormal(logits.Data, 2);
        rng.FillNormal(teacher.Data, 2);
        bool[] mask = [true, true, false, true, false, false];
        var grad = new Tensor(n, k);
        grad.Fill(0.25f); // it adds into what is there
        double value = LearningWithoutForgetting.Distillation(logits, teacher, mask, temperature: 2, alpha: 3, grad);
        Assert.Equal(3 * DirectDistillation(logits.Data, teacher.Data, n, k, mask, 2), value, 1e-6);
        var analytic = grad.Data.Select(g => g - 0.25f).ToArray();
        for (int i = 0; i < n * k; i++) if (!mask[i % k]) Assert.Equal(0f, analytic[i]);
        GradientCheck.Check("LwF distillation", () => 3 * DirectDistillation(logits.Data, teacher.Data, n, k, mask, 2), logits.Data, analytic, 5, eps: 1e-3, tol: 1e-3);
    }

    [Fact]
    public void LwF_step_is_the_seen_classes_loss_plus_alpha_times_the_distillation_from_the_old_model()
    {
        var f = new StrategyFixture(seed: 12);
        var lwf = new LearningWithoutForgetting(f.Context, alpha: 3, temperature: 2, warmupEpochs: 2);
        f.TrainTask(lwf, 0);
        var before = f.Model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Clone());
        lwf.BeginTask(1);
        // the warm-up moved only the output layer; the old model is the model as task 0 left it
        Assert.Equal(before["fc1.weight"].Data, f.Model.StateDict()["fc1.weight"].Data);
        Assert.NotEqual(before["fc2.weight"].Data, f.Model.StateDict()["fc2.weight"].Data);
        var old = f.Context.NewModel();
        old.LoadStateDict(lwf.SaveState().Where(kv => kv.Key.StartsWith("old.")).ToDictionary(kv => kv.Key[4..], kv => kv.Value.ToTensor()), "old");
        Assert.All(before, kv => Assert.Equal(kv.Value.Data, old.StateDict()[kv.Key].Data));

        var samples = f.Batch(1);
        var batch = f.Stream.Batch(Split.Train, samples);
        bool[] seen = [.. Enumerable.Range(0, 6).Select(c => f.Stream.Tasks[0].Mask[c] || f.Stream.Tasks[1].Mask[c])];
        double Direct()
        {
            var z = f.Model.Forward(batch.Images).Data.ToArray();
            var ce = Losses.CrossEntropy(new Tensor(z, 8, 6), batch.Labels, new Tensor(8, 6), seen);
            return ce + 3 * DirectDistillation(z, old.Forward(batch.Images).Data, 8, 6, f.Stream.Tasks[0].Mask, 2);
        }
        double value = lwf.Step(samples, 1);
        float[] analytic = ParameterVector.Gradients(f.Model);
        Assert.Equal(Direct(), value, 1e-5);
        int offset = 0;
        foreach (var p in f.Model.Parameters)
        {
            GradientCheck.Check($"LwF objective, {p.Name}", Direct, p.Value.Data, analytic[offset..(offset + p.Value.Length)], 7, eps: 1e-3);
            offset += p.Value.Length;
        }
    }

    [Fact]
    public void DERpp_step_is_the_label_loss_plus_logit_and_label_replay_on_two_draws()
    {
        var f = new StrategyFixture(seed: 13);
        var der = new DarkExperienceReplay(f.Context, buffer: 10, replayBatch: 4, alpha: 0.3, beta: 0.7);
        // the first step stores its samples with the logits the model gave them before the update
        var first = f.Batch(0);
        var logitsBefore = f.Model.Forward(f.Stream.Batch(Split.Train, first).Images).Clone();
        der.Step(first, 0);
        Assert.Equal(logitsBefore.Data, der.Buffer.LogitsAt([.. Enumerable.Range(0, 8)]).Data);
        f.TrainTask(der, 0);

        // the two draws the step will make, from its saved random state
        var rng = Rng.FromState(Array.ConvertAll(der.SaveState()["rng"].ToInt64(), w => (ulong)w));
        int[] s1 = der.Buffer.SampleSlots(4, rng), s2 = der.Buffer.SampleSlots(4, rng);
        var samples = f.Batch(1);
        var current = f.Stream.Batch(Split.Train, samples);
        var x1 = f.Stream.Batch(Split.Train, der.Buffer.SamplesAt(s1));
        var x2 = f.Stream.Batch(Split.Train, der.Buffer.SamplesAt(s2));
        var z1 = der.Buffer.LogitsAt(s1);
        int[] y2 = der.Buffer.LabelsAt(s2); // read before the step, which offers its samples to the buffer
        double Direct()
        {
            double ce = Losses.CrossEntropy(f.Model.Forward(current.Images), current.Labels, new Tensor(8, 6));
            var out1 = f.Model.Forward(x1.Images);
            double mse = out1.Data.Zip(z1.Data, (a, b) => (double)(a - b) * (a - b)).Average();
            double replay = Losses.CrossEntropy(f.Model.Forward(x2.Images), y2, new Tensor(4, 6));
            return ce + 0.3 * mse + 0.7 * replay;
        }
        double direct = Direct();
        double value = der.Step(samples, 1);
        float[] analytic = ParameterVector.Gradients(f.Model);
        Assert.Equal(direct, value, 1e-5);
        Assert.NotEqual(s1.Order(), s2.Order()); // two independent draws
        int offset = 0;
        foreach (var p in f.Model.Parameters)
        {
            GradientCheck.Check($"DER++ objective, {p.Name}", Direct, p.Value.Data, analytic[offset..(offset + p.Value.Length)], 8, eps: 1e-3);
            offset += p.Value.Length;
        }
    }
}
