using NtkDynamics.Continual;
using NtkDynamics.Data;
using NtkDynamics.Formats;
using NtkDynamics.Nn;
using NtkDynamics.Tensors;

namespace NtkDynamics.Strategies;

/// <summary>
/// Online elastic weight consolidation (Schwarz et al. 2018, "Progress &amp; Compress"; Kirkpatrick et al. 2017; Mammoth's
/// models/ewc_on.py). At the end of each task: the diagonal Fisher of that task,
/// F_t = (1/N) Σ_i p(y_i|x_i) (∇_θ log p(y_i|x_i))² over its N training samples one at a time (Mammoth's estimate:
/// the squared gradient of the true label's log-likelihood, weighted by its probability), then F ← γ F + F_t and the anchor
/// θ* ← θ. Each later step adds the penalty λ Σ_j F_j (θ_j - θ*_j)² to the task loss (its gradient 2λ F (θ - θ*)).
/// </summary>
public sealed class OnlineEwc(StrategyContext context, double lambda, double gamma) : Strategy(context)
{
    private float[]? _fisher, _anchor;

    public override string Kind => "ewc-online";

    /// <summary>The accumulated diagonal Fisher (null before the first task's end), in <see cref="ParameterVector"/> order.</summary>
    public float[]? Fisher => _fisher;

    public override double Step(Samples batch, int task)
    {
        Model.ZeroGrad();
        return Learn(batch).Loss + AddPenalty();
    }

    /// <summary>λ Σ F (θ - θ*)² at the current parameters, its gradient added into theirs; 0 before the first task's end.</summary>
    public double AddPenalty()
    {
        if (_fisher is null || _anchor is null) return 0;
        double penalty = 0;
        int offset = 0;
        foreach (var p in Model.Parameters)
        {
            float[] w = p.Value.Data, g = p.Grad.Data;
            for (int i = 0; i < w.Length; i++)
            {
                double f = _fisher[offset + i], d = w[i] - _anchor[offset + i];
                penalty += f * d * d;
                g[i] += (float)(2 * lambda * f * d);
            }
            offset += w.Length;
        }
        return lambda * penalty;
    }

    public override void EndTask(int task)
    {
        var set = TrainingSet(task);
        var fisher = new double[Model.ParameterCount];
        var mask = Stream.LogitMask(task);
        for (int i = 0; i < set.Count; i++)
        {
            var batch = Stream.Batch(Split.Train, set.Pick([i]));
            var logits = Model.Forward(batch.Images);
            var grad = new Tensor(logits.Shape);
            // cross-entropy = -log p(y|x); its gradient squared is that of log p(y|x)
            double p = Math.Exp(-Losses.CrossEntropy(logits, batch.Labels, grad, mask));
            Model.ZeroGrad();
            Model.BackwardParameters(grad);
            int offset = 0;
            foreach (var prm in Model.Parameters)
            {
                float[] g = prm.Grad.Data;
                for (int j = 0; j < g.Length; j++) fisher[offset + j] += p * g[j] * g[j];
                offset += g.Length;
            }
        }
        _fisher ??= new float[fisher.Length];
        for (int j = 0; j < fisher.Length; j++) _fisher[j] = (float)(gamma * _fisher[j] + fisher[j] / Math.Max(1, set.Count));
        _anchor = ParameterVector.Values(Model);
        Model.ZeroGrad();
    }

    protected override void Save(IDictionary<string, NdArray> state)
    {
        if (_fisher is null || _anchor is null) return;
        state["fisher"] = new NdArray(_fisher, _fisher.Length);
        state["anchor"] = new NdArray(_anchor, _anchor.Length);
    }

    protected override void Load(IReadOnlyDictionary<string, NdArray> state, string source)
    {
        if (!state.TryGetValue("fisher", out var f) || !state.TryGetValue("anchor", out var a)) { _fisher = _anchor = null; return; }
        if (f.Length != Model.ParameterCount || a.Length != Model.ParameterCount)
            throw new InputException($"{source}: the Fisher has {f.Length} values and the anchor {a.Length}, the model {Model.ParameterCount} parameters");
        _fisher = (float[])f.ToFloat().Clone();
        _anchor = (float[])a.ToFloat().Clone();
    }
}
