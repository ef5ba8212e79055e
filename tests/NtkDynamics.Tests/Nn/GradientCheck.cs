using NtkDynamics.Nn;
using NtkDynamics.Tensors;

namespace NtkDynamics.Tests.Nn;

/// <summary>Central finite differences in float64 accumulation against the analytic backward pass.</summary>
internal static class GradientCheck
{
    /// <summary>L(x) = Σ r ⊙ f(x) for a fixed random r, so dL/df = r.</summary>
    public static double Loss(Func<Tensor, Tensor> forward, Tensor x, float[] r)
    {
        var y = forward(x);
        double s = 0;
        for (int i = 0; i < r.Length; i++) s += (double)r[i] * y.Data[i];
        return s;
    }

    /// <summary>
    /// Checks the directional derivative along random directions, and some single elements, of <paramref name="wrt"/>
    /// (an input or a parameter tensor, perturbed in place) against <paramref name="analytic"/>.
    /// </summary>
    public static void Check(string what, Func<double> loss, float[] wrt, float[] analytic, ulong seed, double eps = 1e-2, double tol = 2e-3)
    {
        var rng = new Rng(seed);
        for (int trial = 0; trial < 3; trial++)
        {
            var v = new float[wrt.Length];
            rng.FillNormal(v, 1 / Math.Sqrt(v.Length)); // about unit norm: a step of eps in total, to stay clear of ReLU and max-pool kinks
            var saved = (float[])wrt.Clone();
            for (int i = 0; i < wrt.Length; i++) wrt[i] = saved[i] + (float)eps * v[i];
            double lp = loss();
            for (int i = 0; i < wrt.Length; i++) wrt[i] = saved[i] - (float)eps * v[i];
            double lm = loss();
            saved.CopyTo(wrt, 0);
            double fd = (lp - lm) / (2 * eps), an = 0, scale = 0;
            for (int i = 0; i < v.Length; i++) { an += (double)analytic[i] * v[i]; scale += Math.Abs(analytic[i] * v[i]); }
            Assert.True(Math.Abs(fd - an) <= tol * (scale + 1e-3), $"{what}: directional derivative {an} vs finite difference {fd} (trial {trial})");
        }
        for (int t = 0; t < Math.Min(8, wrt.Length); t++)
        {
            int i = rng.NextInt(wrt.Length);
            float saved = wrt[i];
            wrt[i] = saved + (float)eps; double lp = loss();
            wrt[i] = saved - (float)eps; double lm = loss();
            wrt[i] = saved;
            double fd = (lp - lm) / (2 * eps);
            Assert.True(Math.Abs(fd - analytic[i]) <= tol * 10 * (Math.Abs(analytic[i]) + 1e-2), $"{what}[{i}]: analytic {analytic[i]} vs finite difference {fd}");
        }
    }
}
