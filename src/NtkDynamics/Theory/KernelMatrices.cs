namespace NtkDynamics.Theory;

/// <summary>
/// NNGP and NTK between two sets of inputs, each (Rows, Cols) row-major, for one network. In the NTK
/// parametrisation <see cref="Ntk"/> is the infinite-width NTK. In the standard parametrisation it is
/// lim Θ/width (the hidden weights' share; CONVENTIONS.md), and <see cref="AtWidth"/> gives the leading-order
/// kernel of a network of a given width.
/// </summary>
public sealed class KernelMatrices
{
    public AnalyticNtk Network { get; }

    public int Rows { get; }

    public int Cols { get; }

    /// <summary>Input dimension d (the first layer's fan-in).</summary>
    public int InputDim { get; }

    /// <summary>Σ^{L+1}(x, x'): the output covariance at initialisation, (Rows, Cols).</summary>
    public double[] Nngp { get; }

    /// <summary>Θ(x, x') in the network's parametrisation, (Rows, Cols).</summary>
    public double[] Ntk { get; }

    /// <summary>
    /// Per layer l = 1..L+1 (index l-1), the weights' block (Rows, Cols), or null when not asked for. NTK
    /// parametrisation: σ_{w,l}² E^{l-1} D_l, and the blocks and <see cref="Biases"/> sum to <see cref="Ntk"/>.
    /// Standard: E^{l-1} D_l per unit of fan-in (the block of a finite network is n_{l-1} times it).
    /// </summary>
    public double[][]? Weights { get; }

    /// <summary>
    /// Per layer l = 1..L+1 (index l-1), the biases' block: σ_b² D_l (NTK parametrisation) or D_l (standard);
    /// all zero when σ_b = 0 (no biases); null when not asked for.
    /// </summary>
    public double[][]? Biases { get; }

    internal KernelMatrices(AnalyticNtk network, int rows, int cols, int inputDim, bool perLayer)
    {
        Network = network; Rows = rows; Cols = cols; InputDim = inputDim;
        Nngp = new double[rows * cols];
        Ntk = new double[rows * cols];
        if (perLayer)
        {
            Weights = Matrices(network.Depth + 1, rows * cols);
            Biases = Matrices(network.Depth + 1, rows * cols);
        }
    }

    private static double[][] Matrices(int count, int size)
    {
        var m = new double[count][];
        for (int l = 0; l < count; l++) m[l] = new double[size];
        return m;
    }

    /// <summary>
    /// Sets entry <paramref name="index"/> of the NTK (and the blocks) from, for l = 0..L, e[l] = E^l (the per-unit
    /// Gram x^l·x'^l/n_l of layer l+1's input) and back[l] = D_{l+1} (the Gram of ∂f/∂h^{l+1}).
    /// </summary>
    internal void Set(int index, ReadOnlySpan<double> e, ReadOnlySpan<double> back)
    {
        bool ntk = Network.Parametrisation == Parametrisation.Ntk;
        double b2 = Network.SigmaB * Network.SigmaB, total = 0;
        for (int l = 0; l < e.Length; l++)
        {
            double weight = (ntk ? Square(Network.LayerSigmaW(l + 1)) : 1) * e[l] * back[l];
            double bias = b2 > 0 ? (ntk ? b2 : 1) * back[l] : 0;
            if (ntk) total += weight + bias;
            else if (l > 0) total += weight;
            if (Weights is not null) Weights[l][index] = weight;
            if (Biases is not null) Biases[l][index] = bias;
        }
        Ntk[index] = total;
    }

    /// <summary>Copies the upper triangle onto the lower one (for a kernel of a set with itself).</summary>
    internal void MirrorUpper()
    {
        foreach (var m in All())
            for (int i = 0; i < Rows; i++)
                for (int j = 0; j < i; j++) m[i * Cols + j] = m[j * Cols + i];
    }

    private IEnumerable<double[]> All()
    {
        yield return Nngp;
        yield return Ntk;
        foreach (var m in Weights ?? []) yield return m;
        foreach (var m in Biases ?? []) yield return m;
    }

    /// <summary>
    /// The kernel of a network whose hidden layers have <paramref name="width"/> units, to leading order in width:
    /// <see cref="Ntk"/> itself in the NTK parametrisation; in the standard one
    /// d·Weights[0] + width·Σ_{l≥1} Weights[l] + Σ_l Biases[l] (needs the per-layer blocks).
    /// </summary>
    public double[] AtWidth(int width)
    {
        if (width <= 0) throw new ArgumentOutOfRangeException(nameof(width), width, "must be positive");
        if (Network.Parametrisation == Parametrisation.Ntk) return (double[])Ntk.Clone();
        if (Weights is null || Biases is null)
            throw new InvalidOperationException("AtWidth in the standard parametrisation needs the per-layer blocks (perLayer: true)");
        var k = new double[Ntk.Length];
        for (int l = 0; l < Weights.Length; l++)
        {
            double fanIn = l == 0 ? InputDim : width;
            for (int i = 0; i < k.Length; i++) k[i] += fanIn * Weights[l][i] + Biases[l][i];
        }
        return k;
    }

    private static double Square(double v) => v * v;
}
