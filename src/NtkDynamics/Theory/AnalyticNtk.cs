using NtkDynamics.Tensors;

namespace NtkDynamics.Theory;

/// <summary>
/// Infinite-width NNGP and NTK of a fully connected ReLU network with <see cref="Depth"/> hidden layers, by the
/// arc-cosine recursion (Jacot et al. 2018; Arora et al. 2019; Lee et al. 2019). Layer l+1 computes
/// h^{l+1} = (σ_w/√n_l) W x^l + σ_b b (NTK parametrisation) with x^0 the input, x^l = relu(h^l), and the output
/// f = h^{L+1} is linear with its own σ_w (<see cref="SigmaWLast"/>). A network with k outputs has the kernel
/// Θ ⊗ I_k. Conventions, and what the standard parametrisation's kernel means: CONVENTIONS.md in this folder.
/// </summary>
public sealed class AnalyticNtk
{
    /// <summary>Number of hidden ReLU layers L (0 is a linear model).</summary>
    public int Depth { get; }

    /// <summary>σ_w of the hidden layers.</summary>
    public double SigmaW { get; }

    /// <summary>σ_b of every layer; 0 means the network has no biases.</summary>
    public double SigmaB { get; }

    /// <summary>σ_w of the linear output layer.</summary>
    public double SigmaWLast { get; }

    public Parametrisation Parametrisation { get; }

    private AnalyticNtk(int depth, double sigmaW, double sigmaB, double sigmaWLast, Parametrisation parametrisation)
    {
        if (depth < 0) throw new ArgumentOutOfRangeException(nameof(depth), depth, "the number of hidden layers must be at least 0");
        if (!(sigmaW > 0)) throw new ArgumentOutOfRangeException(nameof(sigmaW), sigmaW, "must be positive");
        if (!(sigmaWLast > 0)) throw new ArgumentOutOfRangeException(nameof(sigmaWLast), sigmaWLast, "must be positive");
        if (!(sigmaB >= 0)) throw new ArgumentOutOfRangeException(nameof(sigmaB), sigmaB, "must be 0 or positive");
        Depth = depth; SigmaW = sigmaW; SigmaB = sigmaB; SigmaWLast = sigmaWLast; Parametrisation = parametrisation;
    }

    /// <summary>A ReLU MLP with <paramref name="depth"/> hidden layers; <paramref name="sigmaWLast"/> defaults to <paramref name="sigmaW"/>.</summary>
    public static AnalyticNtk Mlp(int depth, double sigmaW = 1.4142135623730951, double sigmaB = 0,
        Parametrisation parametrisation = Parametrisation.Ntk, double? sigmaWLast = null) =>
        new(depth, sigmaW, sigmaB, sigmaWLast ?? sigmaW, parametrisation);

    /// <summary>σ_w of layer <paramref name="layer"/>, 1 (first hidden) to Depth + 1 (output).</summary>
    public double LayerSigmaW(int layer) => layer == Depth + 1 ? SigmaWLast : SigmaW;

    /// <summary>Kernels of the rows of <paramref name="x"/> (n, d) with themselves: (n, n), exactly symmetric.</summary>
    public KernelMatrices Kernel(double[] x, int n, int d, bool perLayer = false) => Kernel(x, n, x, n, d, perLayer);

    /// <summary>
    /// Cross-kernels between the rows of <paramref name="x1"/> (n1, d) and <paramref name="x2"/> (n2, d): (n1, n2).
    /// With <paramref name="perLayer"/>, also each layer's weight and bias block (2(L+1) more matrices).
    /// </summary>
    public KernelMatrices Kernel(double[] x1, int n1, double[] x2, int n2, int d, bool perLayer = false)
    {
        CheckInputs(x1, n1, d, nameof(x1));
        CheckInputs(x2, n2, d, nameof(x2));
        bool symmetric = ReferenceEquals(x1, x2) && n1 == n2;
        // g is (n1, n2): x·x'/d; q1 is (n1, L+1) and q2 is (n2, L+1): |x|²/d and Σ^l(x, x) of layers l = 1..L
        var g = new double[n1 * n2];
        Blas.Gemm(false, true, n1, n2, d, 1.0 / d, x1, d, x2, d, 0.0, g, n2);
        var q1 = Variances(x1, n1, d);
        var q2 = symmetric ? q1 : Variances(x2, n2, d);
        // The same rounding on the diagonal as in q, so that an input's angle with itself is exactly 0.
        if (symmetric) for (int i = 0; i < n1; i++) g[i * n1 + i] = q1[i * (Depth + 1)];
        var result = new KernelMatrices(this, n1, n2, d, perLayer);
        int depth = Depth;
        Parallel.For(0, n1, i =>
        {
            Span<double> e = stackalloc double[depth + 1], back = stackalloc double[depth + 1];
            for (int j = symmetric ? i : 0; j < n2; j++)
            {
                result.Nngp[i * n2 + j] = Entry(g[i * n2 + j], q1.AsSpan(i * (depth + 1) + 1, depth), q2.AsSpan(j * (depth + 1) + 1, depth), e, back);
                result.Set(i * n2 + j, e, back);
            }
        });
        if (symmetric) result.MirrorUpper();
        return result;
    }

    /// <summary>A finite-width network of this architecture with weights drawn from <paramref name="rng"/>.</summary>
    public SampledMlp Sample(int inputDim, int width, Rng rng) => new(this, inputDim, width, rng);

    // One pair (x, x'): g = x·x'/d, qa and qb = Σ^l(x, x) and Σ^l(x', x') for l = 1..L. Fills e[l] = E^l (the
    // per-unit Gram x^l·x'^l/n_l in the limit, e[0] = g) and back[l] = D_{l+1} = Π_{k=l+2}^{L+1} Σ̇^k (the Gram of the
    // output's gradient with respect to h^{l+1}); returns the NNGP Σ^{L+1}(x, x').
    private double Entry(double g, ReadOnlySpan<double> qa, ReadOnlySpan<double> qb, Span<double> e, Span<double> back)
    {
        e[0] = g;
        double sigma = Square(LayerSigmaW(1)) * g + SigmaB * SigmaB;
        Span<double> derivative = stackalloc double[Depth + 1];
        for (int l = 1; l <= Depth; l++)
        {
            var (value, slope) = ArcCosine.Relu(qa[l - 1], qb[l - 1], sigma);
            double s2 = Square(LayerSigmaW(l + 1));
            e[l] = value;
            derivative[l] = s2 * slope;                  // Σ̇^{l+1}
            sigma = s2 * value + SigmaB * SigmaB;        // Σ^{l+1}
        }
        back[Depth] = 1;
        for (int l = Depth - 1; l >= 0; l--) back[l] = back[l + 1] * derivative[l + 1];
        return sigma;
    }

    // x is (n, d); returns (n, L+1): |x|²/d, then Σ^l(x, x) for l = 1..L.
    private double[] Variances(double[] x, int n, int d)
    {
        var q = new double[n * (Depth + 1)];
        for (int i = 0; i < n; i++)
        {
            double xx = 0;
            for (int c = 0; c < d; c++) xx += x[i * d + c] * x[i * d + c];
            q[i * (Depth + 1)] = xx / d;
            double sigma = Square(LayerSigmaW(1)) * q[i * (Depth + 1)] + SigmaB * SigmaB;
            for (int l = 1; l <= Depth; l++)
            {
                q[i * (Depth + 1) + l] = sigma;
                sigma = Square(LayerSigmaW(l + 1)) * ArcCosine.Relu(sigma, sigma, sigma).Value + SigmaB * SigmaB;
            }
        }
        return q;
    }

    private static void CheckInputs(double[] x, int n, int d, string name)
    {
        if (n < 0 || d <= 0) throw new ArgumentException($"{name}: need n >= 0 rows and d > 0 columns, got n={n}, d={d}");
        if (x.Length != n * d) throw new ArgumentException($"{name}: expected {n}x{d} = {n * d} values, got {x.Length}");
    }

    private static double Square(double v) => v * v;
}
