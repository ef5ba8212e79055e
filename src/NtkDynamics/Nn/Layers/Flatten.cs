using NtkDynamics.Tensors;

namespace NtkDynamics.Nn.Layers;

/// <summary>(N, C, H, W) -> (N, C*H*W) in NCHW order, as torch.flatten(x, 1). Shares memory, no copy.</summary>
public sealed class Flatten : UnaryLayer
{
    public override int[] OutputShape(int[] inputShape)
    {
        if (inputShape.Length < 2) throw ShapeError("[N, ...] with at least 2 dimensions", inputShape);
        return [inputShape[0], Tensor.Count(inputShape.AsSpan(1))];
    }

    public override Tensor Forward(NodeState state, Tensor x) => x.Reshape(OutputShape(x.Shape));

    public override Tensor? Backward(NodeState state, Tensor gradOutput, Gradients? gradients, bool inputGradient) =>
        inputGradient ? gradOutput.Reshape([gradOutput.Shape[0], .. state.Input.Shape.AsSpan(1)]) : null;

    public override string Describe() => "Flatten";
}
