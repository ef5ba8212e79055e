using NtkDynamics.Continual;
using NtkDynamics.Data;
using NtkDynamics.Formats;
using NtkDynamics.Nn;
using NtkDynamics.Tensors;

namespace NtkDynamics.Strategies;

/// <summary>
/// Learning without Forgetting (Li and Hoiem 2017; Mammoth's models/lwf.py). At the start of task t &gt; 0 the model is
/// copied (the old model, the teacher), then a warm-up trains only the output layer on the new task for
/// <c>warmup_epochs</c> epochs (plain SGD at the training learning rate, the softmax over the task's classes; the paper's
/// warm-up step). Each step's objective is the task loss over the classes seen so far (the task's under the task-incremental
/// head) plus α times the distillation loss on the old classes P (those of tasks before t):
/// <c>-(1/N) Σ_i Σ_{c∈P} q_ic log p_ic</c>, q = softmax over P of the old model's logits / T, p = the same of the model's
/// (Mammoth's modified_kl_div of its smooth(softmax(·), T), which is softmax(·/T); no T² factor).
/// </summary>
public sealed class LearningWithoutForgetting(StrategyContext context, double alpha, double temperature, int warmupEpochs) : Strategy(context)
{
    private Model? _old;

    public override string Kind => "lwf";

    public override void BeginTask(int task)
    {
        if (task == 0) return;
        _old ??= Context.NewModel();
        _old.LoadStateDict(Model.StateDict(), "LwF's old model");
        WarmUp(task);
    }

    public override double Step(Samples batch, int task)
    {
        Model.ZeroGrad();
        var data = Stream.Batch(Split.Train, batch);
        var logits = Model.Forward(data.Images);
        var grad = new Tensor(logits.Shape);
        double loss = Context.Loss.Compute(logits, data.Labels, batch.Tasks, grad, 1,
            Stream.Head == HeadKind.ClassIncremental ? Classes(task + 1) : null);
        if (task > 0 && _old is not null)
        {
            // the old model is another network: its forward leaves the model's saved activations alone
            loss += Distillation(logits, _old.Forward(data.Images), Classes(task), temperature, alpha, grad);
        }
        Model.BackwardParameters(grad);
        return loss;
    }

    /// <summary>
    /// α · -(1/N) Σ_i Σ_{c∈mask} q_ic log p_ic with q = softmax_mask(teacher / T), p = softmax_mask(logits / T); adds its
    /// gradient α (p - q) / (N T) into <paramref name="grad"/> on the masked classes. Returns the weighted loss.
    /// </summary>
    // logits, teacher, grad: (N, K); mask: (K)
    public static double Distillation(Tensor logits, Tensor teacher, bool[] mask, double temperature, double alpha, Tensor grad)
    {
        int n = logits.Shape[0], k = logits.Shape[1];
        double total = 0;
        var p = new double[k];
        var q = new double[k];
        for (int i = 0; i < n; i++)
        {
            SoftmaxOver(logits.Data.AsSpan(i * k, k), mask, temperature, p);
            SoftmaxOver(teacher.Data.AsSpan(i * k, k), mask, temperature, q);
            for (int c = 0; c < k; c++)
            {
                if (!mask[c]) continue;
                total -= q[c] * Math.Log(p[c]);
                grad.Data[i * k + c] += (float)(alpha * (p[c] - q[c]) / (n * temperature));
            }
        }
        return alpha * total / n;
    }

    // softmax of z / t over the masked entries (max subtracted); 0 elsewhere
    private static void SoftmaxOver(ReadOnlySpan<float> z, bool[] mask, double t, double[] result)
    {
        double max = double.NegativeInfinity, sum = 0;
        for (int c = 0; c < z.Length; c++) if (mask[c]) max = Math.Max(max, z[c] / t);
        for (int c = 0; c < z.Length; c++) sum += result[c] = mask[c] ? Math.Exp(z[c] / t - max) : 0;
        for (int c = 0; c < z.Length; c++) result[c] /= sum;
    }

    /// <summary>The head's classes of tasks 0 .. count-1.</summary>
    private bool[] Classes(int count)
    {
        var mask = new bool[Stream.NumClasses];
        foreach (var t in Stream.Tasks.Take(count))
            for (int c = 0; c < mask.Length; c++) mask[c] |= t.Mask[c];
        return mask;
    }

    // Trains only the output layer (the parameters of the model's last layer) on the task's own classes.
    private void WarmUp(int task)
    {
        string output = Model.Parameters[^1].Name[..(Model.Parameters[^1].Name.LastIndexOf('.') + 1)];
        var sgd = new Sgd([.. Model.Parameters.Where(p => p.Name.StartsWith(output))], Context.LearningRate);
        var set = TrainingSet(task);
        var mask = Stream.Tasks[task].Mask;
        var grad = new Tensor(1, 1);
        for (int epoch = 0; epoch < warmupEpochs; epoch++)
        {
            int[] order = [.. Enumerable.Range(0, set.Count)];
            Rng.Shuffle(order.AsSpan());
            for (int start = 0; start < order.Length; start += Context.BatchSize)
            {
                var batch = Stream.Batch(Split.Train, set.Pick(order.AsSpan(start, Math.Min(Context.BatchSize, order.Length - start))));
                var logits = Model.Forward(batch.Images);
                if (!grad.ShapeEquals(logits.Shape)) grad = new Tensor(logits.Shape);
                Losses.CrossEntropy(logits, batch.Labels, grad, mask);
                Model.ZeroGrad();
                Model.BackwardParameters(grad);
                sgd.Step();
            }
        }
        Model.ZeroGrad();
    }

    protected override void Save(IDictionary<string, NdArray> state)
    {
        if (_old is null) return;
        foreach (var (name, t) in _old.StateDict()) state["old." + name] = NdArray.From(t);
    }

    protected override void Load(IReadOnlyDictionary<string, NdArray> state, string source)
    {
        var old = state.Where(kv => kv.Key.StartsWith("old.")).ToDictionary(kv => kv.Key[4..], kv => kv.Value.ToTensor());
        if (old.Count == 0) { _old = null; return; }
        _old ??= Context.NewModel();
        _old.LoadStateDict(old, source + " (LwF's old model)");
    }
}
