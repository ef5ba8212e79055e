using NtkDynamics.Nn;
using NtkDynamics.Tensors;

namespace NtkDynamics.Ntk;

/// <summary>
/// The slow, obvious eNTK: for every sample i and logit a, one backward pass on that sample alone gives the full gradient
/// vector ∇θ f_a(x_i); the kernel is their Gram in float64. O(n k) backward passes and O(n k P) memory: for tests and small models.
/// </summary>
public static class ReferenceNtk
{
    public static NtkKernel Compute(Model model, Tensor probe, NtkKind kind = NtkKind.Full, int logit = 0)
    {
        EmpiricalNtk.CheckProbe(model, probe);
        int n = probe.Shape[0], stride = probe.Length / n;
        var x = new Tensor([1, .. probe.Shape.AsSpan(1)]);
        var saved = model.Parameters.Select(p => p.Grad.Data.ToArray()).ToArray();
        int k = 0;
        var rows = new List<double[][]>(); // [i*k + a][parameter] -> gradient
        for (int i = 0; i < n; i++)
        {
            probe.Data.AsSpan(i * stride, stride).CopyTo(x.Data);
            k = model.Forward(x).Shape[1];
            for (int a = 0; a < k; a++)
            {
                model.Forward(x);
                model.ZeroGrad();
                var seed = new Tensor(1, k);
                seed.Data[a] = 1f;
                model.Backward(seed);
                rows.Add(model.Parameters.Select(p => Array.ConvertAll(p.Grad.Data, v => (double)v)).ToArray());
            }
        }
        for (int p = 0; p < saved.Length; p++) saved[p].CopyTo(model.Parameters[p].Grad.Data, 0);

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
