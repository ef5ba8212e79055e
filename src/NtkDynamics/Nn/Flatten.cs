using NtkDynamics.Tensors;

namespace NtkDynamics.Nn;

/// <summary>(N, C, H, W) -> (N, C*H*W) in NCHW order, as torch.flatten(x, 1). Shares memory, no copy.</summary>
public sealed class Flatten : Layer
{
    private int[] _inShape = [];

    public override int[] OutputShape(int[] inputShape)
    {
        if (inputShape.Length < 2) throw ShapeError("[N, ...] with at least 2 dimensions", inputShape);
        return [inputShape[0], Tensor.Count(inputShape.AsSpan(1))];
    }

    public override Tensor Forward(Tensor x)
    {
        _inShape = x.Shape;
        return x.Reshape(OutputShape(x.Shape));
    }

    public override Tensor Backward(Tensor gradOutput, bool accumulate = true) => gradOutput.Reshape([gradOutput.Shape[0], .. _inShape.AsSpan(1)]);

    public override string Describe() => "Flatten";
}
