using NtkDynamics.Continual;
using NtkDynamics.Nn;
using NtkDynamics.Tensors;

namespace NtkDynamics.Strategies;

/// <summary>
/// The training loss the config names (train.loss: softmax cross-entropy, or the mean squared error against one-hot
/// targets) over rows that may come from different tasks: under the task-incremental head each row's softmax runs over
/// its own task's classes (replayed rows keep their task's mask).
/// </summary>
public sealed class TaskLoss(string kind, TaskStream stream)
{
    /// <summary>"cross-entropy" or "mse".</summary>
    public string Kind { get; } = kind is "cross-entropy" or "mse" ? kind : throw new ArgumentException($"unknown loss {kind}");

    /// <summary>
    /// weight · (the mean loss over the rows); writes weight · its gradient with respect to <paramref name="logits"/> into
    /// <paramref name="grad"/> (same shape). <paramref name="tasks"/> gives each row's task. <paramref name="mask"/>, when
    /// given, replaces every row's head mask (LwF's classes seen so far); it is ignored by the mean squared error, as masks are.
    /// </summary>
    // logits, grad: (N, K); labels, tasks: (N)
    public double Compute(Tensor logits, int[] labels, int[] tasks, Tensor grad, double weight = 1, bool[]? mask = null)
    {
        int n = logits.Shape[0], k = logits.Shape[1];
        double value;
        if (Kind == "mse")
        {
            var target = new Tensor(n, k);
            for (int i = 0; i < n; i++) target.Data[i * k + labels[i]] = 1f;
            value = Losses.MeanSquaredError(logits, target, grad);
        }
        else if (mask is not null || stream.Head == HeadKind.ClassIncremental || tasks.All(t => t == tasks[0]))
            value = Losses.CrossEntropy(logits, labels, grad, mask ?? stream.LogitMask(tasks.Length > 0 ? tasks[0] : 0));
        else value = ByTask(logits, labels, tasks, grad);
        if (weight != 1) System.Numerics.Tensors.TensorPrimitives.Multiply(grad.Data, (float)weight, grad.Data);
        return weight * value;
    }

    // Rows of several tasks under the task-incremental head: each task's rows with its mask, weighted by their share of the rows.
    private double ByTask(Tensor logits, int[] labels, int[] tasks, Tensor grad)
    {
        int n = logits.Shape[0], k = logits.Shape[1];
        double value = 0;
        foreach (int task in tasks.Distinct())
        {
            int[] rows = [.. Enumerable.Range(0, n).Where(i => tasks[i] == task)];
            var z = new Tensor(rows.Length, k);
            var g = new Tensor(rows.Length, k);
            for (int r = 0; r < rows.Length; r++) logits.Rows(rows[r], 1).CopyTo(z.Rows(r, 1));
            double share = (double)rows.Length / n;
            value += share * Losses.CrossEntropy(z, [.. rows.Select(i => labels[i])], g, stream.LogitMask(task));
            for (int r = 0; r < rows.Length; r++)
                for (int c = 0; c < k; c++) grad.Data[rows[r] * k + c] = (float)(share * g.Data[r * k + c]);
        }
        return value;
    }
}
