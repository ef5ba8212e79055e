using NtkDynamics.Nn;
using NtkDynamics.Tensors;

namespace NtkDynamics.Ntk;

/// <summary>
/// The slow, obvious eNTK: one forward pass over the probe (evaluation mode, as <see cref="EmpiricalNtk"/>), then for every
/// sample i and logit a one backward pass of the seed e_(i,a) gives the full gradient vector ∇θ f_a(x_i); the kernel is
/// their Gram in float64. O(n k) backward passes and O(n k P) memory: for tests and small models.
/// </summary>
public static class ReferenceNtk
{
    public static NtkKernel Compute(Model model, Tensor probe, NtkKind kind = NtkKind.Full, int logit = 0, bool probeBatchStatistics = false)
    {
        EmpiricalNtk.CheckProbe(model, probe);
        int n = probe.Shape[0];
        var pass = model.NewPass(probeBatchStatistics ? Mode.FrozenBatchStatistics : Mode.Eval);
        int k = pass.Forward(probe).Shape[1];
        var into = model.Parameters.ToDictionary(p => p, p => new Tensor(p.Value.Shape));
        var rows = new List<double[][]>(); // [i*k + a][parameter] -> gradient
        for (int i = 0; i < n; i++)
            for (int a = 0; a < k; a++)
            {
                var seed = new Tensor(n, k);
                seed.Data[i * k + a] = 1f;
                foreach (var t in into.Values) t.Fill(0f);
                pass.Backward(seed, Gradients.Into(into), inputGradient: false);
                rows.Add(model.Parameters.Select(p => Array.ConvertAll(into[p].Data, v => (double)v)).ToArray());
            }

        int size = kind == NtkKind.Full ? n * k : n;
        var perParameter = new Dictionary<string, double[]>();
        for (int p = 0; p < model.Parameters.Count; p++)
        {
            var kernel = new double[size * size];
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                    for (int a = 0; a < k; a++)
                        for (int b = 0; b < k; b++)
                        {
                            bool wanted = kind switch { NtkKind.Full => true, NtkKind.Trace => a == b, _ => a == logit && b == logit };
                            if (!wanted) continue;
                            double dot = 0;
                            double[] u = rows[i * k + a][p], v = rows[j * k + b][p];
                            for (int t = 0; t < u.Length; t++) dot += u[t] * v[t];
                            int row = kind == NtkKind.Full ? i * k + a : i, col = kind == NtkKind.Full ? j * k + b : j;
                            kernel[row * size + col] += dot;
                        }
            perParameter[model.Parameters[p].Name] = kernel;
        }
        return new NtkKernel(kind, n, k, perParameter, new Dictionary<string, string>());
    }
}
