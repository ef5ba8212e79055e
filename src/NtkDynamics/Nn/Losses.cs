using NtkDynamics.Tensors;

namespace NtkDynamics.Nn;

/// <summary>Losses: value and gradient with respect to the logits, as PyTorch defines them.</summary>
public static class Losses
{
    /// <summary>
    /// Mean softmax cross-entropy over the batch (log-sum-exp with the max subtracted). When <paramref name="mask"/> is given
    /// (task-incremental heads), only classes with mask[c] true take part in the softmax. Writes d(loss)/d(logits) into grad.
    /// </summary>
    // logits: (N, K), labels: (N), grad: (N, K)
    public static double CrossEntropy(Tensor logits, ReadOnlySpan<int> labels, Tensor grad, ReadOnlySpan<bool> mask = default)
    {
        int n = logits.Shape[0], k = logits.Shape[1];
        if (labels.Length != n) throw new ArgumentException($"cross-entropy: {labels.Length} labels for {n} rows of logits");
        double total = 0;
        for (int i = 0; i < n; i++)
        {
            var z = logits.Data.AsSpan(i * k, k);
            var g = grad.Data.AsSpan(i * k, k);
            int y = labels[i];
            if ((uint)y >= (uint)k || (!mask.IsEmpty && !mask[y]))
                throw new ArgumentException($"cross-entropy: label {y} of row {i} is not among the {k} (allowed) classes");
            double max = double.NegativeInfinity;
            for (int c = 0; c < k; c++) if (mask.IsEmpty || mask[c]) max = Math.Max(max, z[c]);
            double sum = 0;
            for (int c = 0; c < k; c++) if (mask.IsEmpty || mask[c]) sum += Math.Exp(z[c] - max);
            double logSum = max + Math.Log(sum);
            total += logSum - z[y];
            for (int c = 0; c < k; c++)
                g[c] = mask.IsEmpty || mask[c] ? (float)((Math.Exp(z[c] - logSum) - (c == y ? 1 : 0)) / n) : 0f;
        }
        return total / n;
    }

    /// <summary>Mean squared error over all elements (PyTorch's MSELoss): mean((f - y)²); grad = 2 (f - y) / (N K).</summary>
    // output, target, grad: (N, K)
    public static double MeanSquaredError(Tensor output, Tensor target, Tensor grad)
    {
        if (!output.ShapeEquals(target.Shape))
            throw new ArgumentException($"mse: output {Tensor.Format(output.Shape)} and target {Tensor.Format(target.Shape)} differ");
        double total = 0;
        int len = output.Length;
        for (int i = 0; i < len; i++)
        {
            double d = output.Data[i] - target.Data[i];
            total += d * d;
            grad.Data[i] = (float)(2 * d / len);
        }
        return total / len;
    }

    /// <summary>Index of the largest logit of each row (among allowed classes when masked).</summary>
    public static int[] ArgMax(Tensor logits, ReadOnlySpan<bool> mask = default)
    {
        int n = logits.Shape[0], k = logits.Shape[1];
        var result = new int[n];
        for (int i = 0; i < n; i++)
        {
            int best = -1;
            for (int c = 0; c < k; c++)
                if ((mask.IsEmpty || mask[c]) && (best < 0 || logits.Data[i * k + c] > logits.Data[i * k + best])) best = c;
            result[i] = best;
        }
        return result;
    }
}
