using NtkDynamics.Tensors;

namespace NtkDynamics.Nn.Layers;

/// <summary>y = x (PyTorch's nn.Identity): the input itself and the gradient itself, no copy.</summary>
public sealed class Identity : UnaryLayer
{
    public override int[] OutputShape(int[] inputShape) => inputShape;

    public override Tensor Forward(NodeState state, Tensor x) => x;

    public override Tensor? Backward(NodeState state, Tensor gradOutput, Gradients? gradients, bool inputGradient) => inputGradient ? gradOutput : null;

    public override string Describe() => "Identity";
}
