using NtkDynamics.Tensors;

namespace NtkDynamics.Nn;

/// <summary>
/// A layer's block of the empirical NTK: the Gram of its parameters' Jacobian rows, built from what its node kept in the
/// eNTK's forward pass and output cotangents from backward passes, without the whole Jacobian. A row is (logit a, sample i).
/// </summary>
public interface INtkBlock
{
    /// <summary>The full names of the parameters ("conv1.weight", "conv1.bias"), in the order of the Grams <see cref="AddGram"/> fills.</summary>
    IReadOnlyList<string> ParameterNames { get; }

    /// <summary>"patch-gram", "per-sample", "dense", "generic", ...: the method chosen (by counting flops where there is a choice).</summary>
    string Method { get; }

    /// <summary>Floats held between calls (caches), to be charged against the memory budget.</summary>
    long CachedFloats { get; }

    /// <summary>
    /// Adds ⟨J_r1, J_r2⟩ of each parameter for every row r1 of group 1 and r2 of group 2 into <paramref name="grams"/> (one per
    /// parameter, in <see cref="ParameterNames"/>' order), each (R1 x R2) row-major in float64; with <see cref="GramKind.Trace"/>
    /// (one group) only rows of the same logit pair up and the Grams are (n x n), summed over the logits. A group's cotangents
    /// are the layer's output gradients stacked logit-major, row a*n + i (see <see cref="OutputCotangents"/>).
    /// </summary>
    void AddGram(OutputCotangents cotangents1, OutputCotangents cotangents2, GramKind kind, double[][] grams);
}

/// <summary>Which pairs of rows a block's Gram covers.</summary>
public enum GramKind
{
    /// <summary>Two different groups of logits: every pair (R1 x R2).</summary>
    Pairs,

    /// <summary>One group with itself: every pair (R x R), symmetric.</summary>
    Symmetric,

    /// <summary>One group with itself, only rows of the same logit, summed over the logits: (n x n).</summary>
    Trace,
}

/// <summary>What the NTK engine tells a layer so it can choose its method and chunk sizes.</summary>
/// <param name="Samples">Probe samples n.</param>
/// <param name="RowsPerGroup">Rows (logit, sample) in a group of cotangents: n for trace and one-logit kernels, g*n for full.</param>
/// <param name="GroupPairs">How many (group, group) pairs will be asked for.</param>
/// <param name="BudgetFloats">Floats this block may hold in work buffers and caches at once.</param>
/// <param name="Method">"auto" (count flops) or a method to force ("patch-gram", "per-sample").</param>
/// <param name="Trace">Only rows of the same logit pair up (<see cref="GramKind.Trace"/>).</param>
/// <param name="Pooled">The cotangents will come pooled (<see cref="OutputCotangents.IsPooled"/>).</param>
public readonly record struct NtkPlan(int Samples, int RowsPerGroup, int GroupPairs, long BudgetFloats, string Method = "auto", bool Trace = false,
    bool Pooled = false);

/// <summary>
/// A layer with its own structured block of the NTK (a speed-up: any layer with parameters also has the eNTK's generic block,
/// built from its backward).
/// </summary>
public interface INtkLayer
{
    /// <summary>Plans the block for the forward pass <paramref name="state"/> belongs to (the eNTK's pass over the probe).</summary>
    INtkBlock NtkBlock(NodeState state, NtkPlan plan);
}
