using NtkDynamics.Tensors;

namespace NtkDynamics.Nn;

/// <summary>y = max(x, 0), elementwise; the gradient passes where the output is positive (PyTorch: 0 at x = 0).</summary>
public sealed class Relu : Layer
{
    private Tensor? _y, _dx;

    public override int[] OutputShape(int[] inputShape) => inputShape;

    // x: any shape; y: same shape
    public override Tensor Forward(Tensor x)
    {
        var y = Tensor.Reuse(ref _y, x.Shape);
        TensorMath.Relu(x.Data, y.Data);
        return y;
    }

    public override Tensor Backward(Tensor gradOutput, bool accumulate = true)
    {
        var dx = Tensor.Reuse(ref _dx, gradOutput.Shape);
        int len = _y!.Length;
        for (int start = 0; start < gradOutput.Length; start += len) // one pass per replica of the forward batch
            TensorMath.ReluBackward(_y.Data, gradOutput.Data.AsSpan(start, len), dx.Data.AsSpan(start, len));
        return dx;
    }

    public override string Describe() => "ReLU";
}
