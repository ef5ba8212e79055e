namespace NtkDynamics.Ntk;

/// <summary>An empirical NTK on a probe: the total and each parameter's contribution (they sum to the total), in float64.</summary>
public sealed class NtkKernel
{
    public NtkKind Kind { get; }

    /// <summary>Probe samples n.</summary>
    public int Samples { get; }

    /// <summary>Logits k of the model.</summary>
    public int Logits { get; }

    /// <summary>Rows of the kernel: n k for full, n otherwise.</summary>
    public int Size { get; }

    /// <summary>The kernel, (Size x Size) row-major.</summary>
    public double[] Values { get; }

    /// <summary>Each parameter's block ("conv1.weight", ...), same layout as <see cref="Values"/>.</summary>
    public IReadOnlyDictionary<string, double[]> PerParameter { get; }

    /// <summary>The method each layer used ("conv2" -> "patch-gram").</summary>
    public IReadOnlyDictionary<string, string> Methods { get; }

    /// <summary>The fusions used, as their nodes ("conv1 → relu1 → pool1").</summary>
    public IReadOnlyList<string> Fusions { get; }

    public NtkKernel(NtkKind kind, int samples, int logits, IReadOnlyDictionary<string, double[]> perParameter, IReadOnlyDictionary<string, string> methods,
        IReadOnlyList<string>? fusions = null)
    {
        Kind = kind; Samples = samples; Logits = logits; PerParameter = perParameter; Methods = methods; Fusions = fusions ?? [];
        Size = kind == NtkKind.Full ? samples * logits : samples;
        Values = new double[Size * Size];
        foreach (var block in perParameter.Values)
            for (int i = 0; i < Values.Length; i++) Values[i] += block[i];
    }

    public double this[int row, int col] => Values[row * Size + col];

    /// <summary>Per layer ("conv1"): the sum of its parameters' blocks.</summary>
    public IReadOnlyDictionary<string, double[]> PerLayer()
    {
        var result = new Dictionary<string, double[]>();
        foreach (var (name, block) in PerParameter)
        {
            string layer = name[..name.LastIndexOf('.')];
            if (!result.TryGetValue(layer, out var sum)) result[layer] = sum = new double[block.Length];
            for (int i = 0; i < block.Length; i++) sum[i] += block[i];
        }
        return result;
    }
}
