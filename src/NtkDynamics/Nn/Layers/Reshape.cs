using NtkDynamics.Tensors;

namespace NtkDynamics.Nn.Layers;

/// <summary>(N, ...) -> (N, <see cref="Shape"/>) with the same elements in C order (ONNX's Reshape that keeps the batch
/// axis; <see cref="Flatten"/> for a flat result). Shares memory, no copy.</summary>
public sealed class Reshape(int[] shape) : UnaryLayer
{
    /// <summary>The shape of a sample after the reshape.</summary>
    public int[] Shape { get; } = shape.All(d => d >= 1) ? shape : throw new ArgumentException($"Reshape: sizes must be >= 1, got {Tensor.Format(shape)}");

    public override int[] OutputShape(int[] s)
    {
        if (s.Length < 2 || Tensor.Count(s.AsSpan(1)) != Tensor.Count(Shape)) throw ShapeError($"[N, ...] of {Tensor.Count(Shape)} elements a sample", s);
        return [s[0], .. Shape];
    }

    public override Tensor Forward(NodeState state, Tensor x) => x.Reshape(OutputShape(x.Shape));

    public override Tensor? Backward(NodeState state, Tensor gradOutput, Gradients? gradients, bool inputGradient) =>
        inputGradient ? gradOutput.Reshape([gradOutput.Shape[0], .. state.Input.Shape.AsSpan(1)]) : null;

    public override string Describe() => $"Reshape{Tensor.Format(Shape)}";
}
