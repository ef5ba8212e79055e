namespace NtkDynamics.Ntk.Metrics;

/// <summary>
/// How well a kernel matches the labels. With one-hot Y (n x k): an n x n kernel (trace or one-logit kernel) is compared
/// with YYᵀ, a full nk x nk kernel (sample-major, index i*k + a) with vec(Y)vec(Y)ᵀ, as entk.py's label_kernel.
/// </summary>
public static class LabelAlignment
{
    /// <summary>The paper's (centred) label alignment A = CKA(K, L) with L the label kernel (Cortes et al. 2012).</summary>
    public static double Centred(ReadOnlySpan<double> kernel, ReadOnlySpan<int> labels, int numClasses) =>
        Hsic.Cka(kernel, LabelKernel(labels, numClasses, IsFull(kernel, labels, numClasses)));

    /// <summary>Uncentred label alignment ⟨K, L⟩_F / (‖K‖_F ‖L‖_F) (Cristianini et al. 2002).</summary>
    public static double Uncentred(ReadOnlySpan<double> kernel, ReadOnlySpan<int> labels, int numClasses) =>
        KernelDistance.Alignment(kernel, LabelKernel(labels, numClasses, IsFull(kernel, labels, numClasses)), "label alignment");

    /// <summary>
    /// The label kernel: YYᵀ (n x n; 1 where two samples share a class), or with <paramref name="full"/> vec(Y)vec(Y)ᵀ
    /// (nk x nk; 1 at [i*k + y_i, j*k + y_j]). Labels must lie in [0, numClasses).
    /// </summary>
    // returns (n, n) or (n*k, n*k)
    public static double[] LabelKernel(ReadOnlySpan<int> labels, int numClasses, bool full)
    {
        if (numClasses < 1) throw new InputException($"label alignment: numClasses must be at least 1, got {numClasses}");
        foreach (int y in labels)
            if (y < 0 || y >= numClasses) throw new InputException($"label alignment: label {y} is outside [0, {numClasses})");
        int n = labels.Length, m = full ? n * numClasses : n;
        var l = new double[m * m];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                if (full) l[(i * numClasses + labels[i]) * m + j * numClasses + labels[j]] = 1;
                else if (labels[i] == labels[j]) l[i * m + j] = 1;
        return l;
    }

    private static bool IsFull(ReadOnlySpan<double> kernel, ReadOnlySpan<int> labels, int numClasses)
    {
        int size = Kernels.Validate(kernel, "label alignment: kernel");
        if (size == labels.Length) return false;
        if (size == labels.Length * numClasses) return true;
        throw new InputException($"label alignment: a {size} x {size} kernel fits neither {labels.Length} labels (n x n) nor {labels.Length} x {numClasses} outputs (nk x nk)");
    }
}
