using NtkDynamics.Nn;

namespace NtkDynamics.Ntk;

/// <summary>Which empirical NTK to compute over a probe of n samples and k logits.</summary>
public enum NtkKind
{
    /// <summary>The whole (n k x n k) kernel, sample-major: index i*k + a.</summary>
    Full,

    /// <summary>(n x n): Θ(i, j) = Σ_a Θ[(i, a), (j, a)] (the paper's 32 x 32 kernel).</summary>
    Trace,

    /// <summary>(n x n) kernel of one logit a.</summary>
    Logit,
}

/// <summary>Options of <see cref="EmpiricalNtk.Compute"/>.</summary>
/// <param name="Kind">Full, trace or one logit.</param>
/// <param name="Logit">The logit for <see cref="NtkKind.Logit"/>.</param>
/// <param name="MemoryBudgetBytes">Work memory (cotangents, patch Grams, per-sample Jacobian chunks) beyond the model and its activations.</param>
/// <param name="ConvMethod">"auto" (count flops per layer), "patch-gram" or "per-sample".</param>
/// <param name="Fuse">Use the fusions of Ntk/Fusions (Conv2d → ReLU → 2x2 max pool with pooled cotangents); off, every node
/// takes its own backward and its block dense cotangents: the same kernel, slower.</param>
/// <param name="GenericBlocks">Every layer takes the generic block (per-row gradients through its own backward, then a Gram)
/// instead of its structured one: the same kernel, much slower; for checking a structured block.</param>
/// <param name="ProbeBatchStatistics">BatchNorm normalises by the probe's own batch statistics, held constant
/// (<see cref="Mode.FrozenBatchStatistics"/>), instead of its running statistics (<see cref="Mode.Eval"/>, as model.eval()).</param>
public sealed record NtkOptions(NtkKind Kind = NtkKind.Trace, int Logit = 0, long MemoryBudgetBytes = 3L << 30, string ConvMethod = "auto",
    bool Fuse = true, bool GenericBlocks = false, bool ProbeBatchStatistics = false)
{
    public static NtkKind ParseKind(string value, string key = "ntk.kind") => value switch
    {
        "full" => NtkKind.Full,
        "trace" => NtkKind.Trace,
        "logit" => NtkKind.Logit,
        _ => throw new InputException($"{key}: '{value}' is not a kernel kind (expected full, trace or logit)"),
    };
}
