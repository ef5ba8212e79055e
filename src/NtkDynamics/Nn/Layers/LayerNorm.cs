using NtkDynamics.Tensors;

namespace NtkDynamics.Nn.Layers;

/// <summary>
/// PyTorch's LayerNorm(normalized_shape, eps, elementwise_affine): each sample is normalised over its trailing dimensions
/// <see cref="NormalizedShape"/> (all of them for [features], or [C, H, W]); γ and β have that shape.
/// </summary>
public sealed class LayerNorm : Normalization
{
    /// <summary>The trailing dimensions normalised together (without the batch).</summary>
    public int[] NormalizedShape { get; }

    public LayerNorm(int[] normalizedShape, double epsilon = DefaultEpsilon, bool affine = true) : base(CheckShape(normalizedShape), epsilon, affine) =>
        NormalizedShape = normalizedShape;

    private static int[] CheckShape(int[] shape) =>
        shape.Length > 0 && shape.All(d => d >= 1) ? shape : throw new ArgumentException($"LayerNorm: normalized_shape must be one or more sizes >= 1, got {Tensor.Format(shape)}");

    public override int[] OutputShape(int[] s)
    {
        if (s.Length <= NormalizedShape.Length || !s.AsSpan(s.Length - NormalizedShape.Length).SequenceEqual(NormalizedShape))
            throw ShapeError($"[N, ..., {string.Join(", ", NormalizedShape)}]", s);
        return s;
    }

    // One row per leading index: (N, ..., D) -> rows of D = Π NormalizedShape elements, each element its own γ.
    protected override (int Rows, int Segment) Layout(int[] s) => (Tensor.Count(s.AsSpan(1)) / Tensor.Count(NormalizedShape), 1);

    protected override int ParameterBase(int row) => 0;

    public override string Describe() => $"LayerNorm({Tensor.Format(NormalizedShape)}{(Weight is null ? ", no affine" : "")})";
}
