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
public sealed record NtkOptions(NtkKind Kind = NtkKind.Trace, int Logit = 0, long MemoryBudgetBytes = 3L << 30, string ConvMethod = "auto")
{
    public static NtkKind ParseKind(string value, string key = "ntk.kind") => value switch
    {
        "full" => NtkKind.Full,
        "trace" => NtkKind.Trace,
        "logit" => NtkKind.Logit,
        _ => throw new InputException($"{key}: '{value}' is not a kernel kind (expected full, trace or logit)"),
    };
}
