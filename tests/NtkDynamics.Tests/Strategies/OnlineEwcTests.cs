using NtkDynamics.Continual;
using NtkDynamics.Data;
using NtkDynamics.Strategies;
using NtkDynamics.Tensors;
using NtkDynamics.Tests.Nn;

namespace NtkDynamics.Tests.Strategies;

public class OnlineEwcTests
{
    [Fact]
    public void The_penalty_gradient_matches_finite_differences()
    {
        var f = new StrategyFixture(seed: 2);
        var ewc = new OnlineEwc(f.Context, lambda: 10, gamma: 1);
        f.Model.ZeroGrad();
        Assert.Equal(0, ewc.AddPenalty()); // nothing to hold on to before the first task's end
        f.TrainTask(ewc, 0);
        f.TrainTask(new FineTune(f.Context), 1, lr: 0.5); // move away from the anchor
        f.Model.ZeroGrad();
        double penalty = ewc.AddPenalty();
        Assert.True(penalty > 0);
        foreach (var p in f.Model.Parameters)
        {
            float[] analytic = (float[])p.Grad.Data.Clone();
            GradientCheck.Check($"EWC penalty, {p.Name}", () => { f.Model.ZeroGrad(); return ewc.AddPenalty(); }, p.Value.Data, analytic, 3, eps: 1e-2, tol: 1e-3);
        }
    }

    [Fact]
    public void The_fisher_is_the_probability_weighted_squared_log_likelihood_gradient()
    {
        var f = new StrategyFixture(seed: 6);
        var ewc = new OnlineEwc(f.Context, lambda: 1, gamma: 1);
        ewc.EndTask(0);
        float[] fisher = ewc.Fisher!;
        // F_j = (1/N) Σ_i p(y_i|x_i) (∂ log p(y_i|x_i) / ∂θ_j)², the derivative by central differences
        var task = f.Stream.Tasks[0];
        var batch = f.Stream.Batch(Split.Train, task.TrainIndices, 0);
        double LogP(int i)
        {
            var logits = f.Model.Forward(batch.Images).Rows(i, 1).ToArray();
            double max = logits.Max(), sum = logits.Sum(z => Math.Exp(z - max));
            return logits[batch.Labels[i]] - max - Math.Log(sum);
        }
        float[] theta = ParameterVector.Values(f.Model);
        var rng = new Rng(9);
        int checkedNonZero = 0;
        for (int trial = 0; trial < 12; trial++)
        {
            int j = rng.NextInt(theta.Length), offset = 0;
            var p = f.Model.Parameters.First(q => (offset += q.Value.Length) > j);
            int at = j - (offset - p.Value.Length);
            double expected = 0;
            for (int i = 0; i < batch.Labels.Length; i++)
            {
                float saved = p.Value.Data[at];
                p.Value.Data[at] = saved + 1e-3f; double up = LogP(i);
                p.Value.Data[at] = saved - 1e-3f; double down = LogP(i);
                p.Value.Data[at] = saved;
                double d = (up - down) / ((double)(saved + 1e-3f) - (saved - 1e-3f));
                expected += Math.Exp(LogP(i)) * d * d;
            }
            expected /= batch.Labels.Length;
            Assert.True(Math.Abs(fisher[j] - expected) <= 2e-2 * expected + 1e-7, $"F[{p.Name}[{at}]] = {fisher[j]}, by finite differences {expected}");
            if (expected > 1e-6) checkedNonZero++;
        }
        Assert.True(checkedNonZero >= 6);
    }

    [Fact]
    public void Online_accumulation_decays_the_old_fisher_by_gamma()
    {
        var f = new StrategyFixture(seed: 4);
        var ewc = new OnlineEwc(f.Context, lambda: 1, gamma: 0.5);
        ewc.EndTask(0);
        float[] first = (float[])ewc.Fisher!.Clone();
        f.TrainTask(new FineTune(f.Context), 1, lr: 0.5);
        var fresh = new OnlineEwc(f.Context, lambda: 1, gamma: 0.5);
        fresh.EndTask(1);
        ewc.EndTask(1);
        for (int j = 0; j < first.Length; j++) Assert.Equal(0.5 * first[j] + fresh.Fisher![j], ewc.Fisher![j], 1e-6);
        // and the anchor moved to the current parameters: no penalty, no gradient right after a task's end
        f.Model.ZeroGrad();
        Assert.Equal(0, ewc.AddPenalty());
        Assert.All(ParameterVector.Gradients(f.Model), g => Assert.Equal(0f, g));
    }
}
