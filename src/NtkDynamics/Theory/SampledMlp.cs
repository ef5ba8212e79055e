using NtkDynamics.Tensors;

namespace NtkDynamics.Theory;

/// <summary>
/// One finite-width draw of an <see cref="AnalyticNtk"/> architecture, in float64, with its exact NTK at
/// initialisation: the Monte-Carlo estimate of the analytic kernel (at depth 1, the random-features estimator:
/// the expectations over w ~ N(0, σ_w² I/d) replaced by averages over <see cref="Width"/> draws).
/// </summary>
public sealed class SampledMlp
{
    public AnalyticNtk Network { get; }

    public int InputDim { get; }

    /// <summary>Units in every hidden layer.</summary>
    public int Width { get; }

    /// <summary>
    /// W^{l+1} for l = 0..L, each (n_{l+1}, n_l) row-major with n_0 = d, n_{L+1} = 1: the N(0, 1) draws. The
    /// standard parametrisation's weight is σ_w/√n_l times this (the same function).
    /// </summary>
    public double[][] Weights { get; }

    /// <summary>b^{l+1} for l = 0..L, each (n_{l+1}): the N(0, 1) draws (σ_b times this is the standard bias).</summary>
    public double[][] Biases { get; }

    internal SampledMlp(AnalyticNtk network, int inputDim, int width, Rng rng)
    {
        if (inputDim <= 0) throw new ArgumentOutOfRangeException(nameof(inputDim), inputDim, "must be positive");
        if (width <= 0) throw new ArgumentOutOfRangeException(nameof(width), width, "must be positive");
        Network = network; InputDim = inputDim; Width = width;
        Weights = new double[network.Depth + 1][];
        Biases = new double[network.Depth + 1][];
        for (int l = 0; l <= network.Depth; l++)
        {
            Weights[l] = Normal(Units(l + 1) * Units(l), rng);
            Biases[l] = Normal(Units(l + 1), rng);
        }
    }

    private static double[] Normal(int count, Rng rng)
    {
        var v = new double[count];
        for (int i = 0; i < count; i++) v[i] = rng.NextNormal();
        return v;
    }

    // n_l: d, then Width for the hidden layers, then 1 output.
    private int Units(int l) => l == 0 ? InputDim : l <= Network.Depth ? Width : 1;

    /// <summary>The network's output f(x) for the rows of <paramref name="x"/> (n, d): (n).</summary>
    public double[] Forward(double[] x, int n) => Run(x, n).Output;

    /// <summary>NNGP estimate and exact NTK of this network for the rows of <paramref name="x"/> (n, d).</summary>
    public KernelMatrices Kernel(double[] x, int n, bool perLayer = false) => Kernel(x, n, x, n, perLayer);

    /// <summary>
    /// Between the rows of <paramref name="x1"/> (n1, d) and <paramref name="x2"/> (n2, d), in the same units as
    /// <see cref="AnalyticNtk.Kernel(double[], int, double[], int, int, bool)"/>: Ntk is the exact NTK of this network
    /// (standard parametrisation: divided by <see cref="Width"/>); Nngp is σ_w,L+1² x^L·x'^L/n_L + σ_b², the output
    /// covariance given the hidden layers.
    /// </summary>
    public KernelMatrices Kernel(double[] x1, int n1, double[] x2, int n2, bool perLayer = false)
    {
        var (inputs1, _) = Run(x1, n1);
        var (inputs2, _) = Run(x2, n2);
        var back1 = Backward(inputs1, n1);
        var back2 = Backward(inputs2, n2);
        int layers = Network.Depth + 1;
        // e[l] and d[l] are (n1, n2): x^l·x'^l/n_l and ∂f/∂h^{l+1}·∂f'/∂h'^{l+1}
        var e = new double[layers][];
        var d = new double[layers][];
        for (int l = 0; l < layers; l++)
        {
            e[l] = Gram(inputs1[l], n1, inputs2[l], n2, Units(l), 1.0 / Units(l));
            d[l] = Gram(back1[l], n1, back2[l], n2, Units(l + 1), 1.0);
        }
        var result = new KernelMatrices(Network, n1, n2, InputDim, perLayer);
        Span<double> ei = stackalloc double[layers], di = stackalloc double[layers];
        double sLast = Network.SigmaWLast * Network.SigmaWLast, b2 = Network.SigmaB * Network.SigmaB;
        for (int i = 0; i < n1 * n2; i++)
        {
            for (int l = 0; l < layers; l++) { ei[l] = e[l][i]; di[l] = d[l][i]; }
            result.Set(i, ei, di);
            if (Network.Parametrisation == Parametrisation.Standard) result.Ntk[i] += (di[0] * ei[0] * InputDim + SumBiases(di)) / Width;
            result.Nngp[i] = sLast * ei[layers - 1] + b2;
        }
        return result;
    }

    // The standard parametrisation's finite-width terms left out of the limit (first-layer weights and biases).
    private double SumBiases(ReadOnlySpan<double> back)
    {
        if (Network.SigmaB == 0) return 0;
        double s = 0;
        foreach (var v in back) s += v;
        return s;
    }

    // a is (na, k), b is (nb, k); returns scale · a bᵀ, (na, nb).
    private static double[] Gram(double[] a, int na, double[] b, int nb, int k, double scale)
    {
        var g = new double[na * nb];
        Blas.Gemm(false, true, na, nb, k, scale, a, k, b, k, 0.0, g, nb);
        return g;
    }

    // x is (n, d); returns every layer's input x^l, (n, n_l) for l = 0..L, and the output f, (n).
    private (double[][] Inputs, double[] Output) Run(double[] x, int n)
    {
        if (x.Length != n * InputDim) throw new ArgumentException($"expected {n}x{InputDim} = {n * InputDim} inputs, got {x.Length}");
        var inputs = new double[Network.Depth + 1][];
        inputs[0] = x;
        for (int l = 0; l < Network.Depth; l++)
        {
            var h = Affine(l, inputs[l], n);
            for (int i = 0; i < h.Length; i++) h[i] = Math.Max(h[i], 0);
            inputs[l + 1] = h;
        }
        return (inputs, Affine(Network.Depth, inputs[Network.Depth], n));
    }

    // input is (n, n_l); returns h^{l+1} = (σ_w/√n_l) input Wᵀ + σ_b b, (n, n_{l+1}).
    private double[] Affine(int l, double[] input, int n)
    {
        int fanIn = Units(l), units = Units(l + 1);
        var h = new double[n * units];
        Blas.Gemm(false, true, n, units, fanIn, Network.LayerSigmaW(l + 1) / Math.Sqrt(fanIn),
            input, fanIn, Weights[l], fanIn, 0.0, h, units);
        for (int i = 0; i < n; i++)
            for (int u = 0; u < units; u++) h[i * units + u] += Network.SigmaB * Biases[l][u];
        return h;
    }

    // inputs[l] is (n, n_l); returns ∂f/∂h^{l+1}, (n, n_{l+1}) for l = 0..L (the last is all ones).
    private double[][] Backward(double[][] inputs, int n)
    {
        int depth = Network.Depth;
        var back = new double[depth + 1][];
        back[depth] = Enumerable.Repeat(1.0, n).ToArray();
        for (int l = depth; l >= 1; l--)
        {
            int units = Units(l), above = Units(l + 1);
            var g = new double[n * units];
            Blas.Gemm(false, false, n, units, above, Network.LayerSigmaW(l + 1) / Math.Sqrt(units),
                back[l], above, Weights[l], units, 0.0, g, units);
            for (int i = 0; i < g.Length; i++) if (inputs[l][i] <= 0) g[i] = 0;   // relu'(h) = 0 where x = relu(h) = 0
            back[l - 1] = g;
        }
        return back;
    }
}
