using NtkDynamics.Tensors;

namespace NtkDynamics.Nn.Layers;

/// <summary>y = max(x, 0), elementwise; the gradient passes where the output is positive (PyTorch: 0 at x = 0).</summary>
public sealed class Relu : UnaryLayer
{
    public override int[] OutputShape(int[] inputShape) => inputShape;

    // x: any shape; y: same shape
    public override Tensor Forward(NodeState state, Tensor x)
    {
        var y = Tensor.ReuseUninitialized(ref state.OutputBuffer, x.Shape);
        TensorMath.Relu(x.Data, y.Data);
        return y;
    }

    public override Tensor? Backward(NodeState state, Tensor gradOutput, Gradients? gradients, bool inputGradient)
    {
        if (!inputGradient) return null;
        var dx = Tensor.ReuseUninitialized(ref state.GradientBuffer, gradOutput.Shape);
        var y = state.Output!;
        int len = y.Length;
        for (int start = 0; start < gradOutput.Length; start += len) // one pass per replica of the forward batch
            TensorMath.ReluBackward(y.Data, gradOutput.Data.AsSpan(start, len), dx.Data.AsSpan(start, len));
        return dx;
    }

    public override string Describe() => "ReLU";
}
