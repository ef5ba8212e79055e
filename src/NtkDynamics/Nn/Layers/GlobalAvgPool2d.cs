using NtkDynamics.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace NtkDynamics.Nn.Layers;

/// <summary>(N, C, H, W) -> (N, C): the mean of each plane (PyTorch's adaptive_avg_pool2d(x, 1) then flatten).</summary>
public sealed class GlobalAvgPool2d : UnaryLayer
{
    public override int[] OutputShape(int[] s)
    {
        if (s.Length != 4) throw ShapeError("[N, C, H, W]", s);
        return [s[0], s[1]];
    }

    // x: (N, C, H, W) -> y[n, c] = Σ_hw x[n, c, h, w] / (H W)
    public override Tensor Forward(NodeState state, Tensor x)
    {
        var y = Tensor.ReuseUninitialized(ref state.OutputBuffer, OutputShape(x.Shape));
        int planes = y.Length, hw = x.Length / planes;
        for (int p = 0; p < planes; p++) y.Data[p] = TensorPrimitives.Sum(x.Data.AsSpan(p * hw, hw)) / hw;
        return y;
    }

    // dy: (r·N, C) -> dx[r, c, h, w] = dy[r, c] / (H W)
    public override Tensor? Backward(NodeState state, Tensor gradOutput, Gradients? gradients, bool inputGradient)
    {
        if (!inputGradient) return null;
        var s = state.Input.Shape;
        var dx = Tensor.ReuseUninitialized(ref state.GradientBuffer, [gradOutput.Shape[0], .. s.AsSpan(1)]);
        int hw = s[2] * s[3];
        for (int p = 0; p < gradOutput.Length; p++) dx.Data.AsSpan(p * hw, hw).Fill(gradOutput.Data[p] / hw);
        return dx;
    }

    public override string Describe() => "GlobalAvgPool2d";
}
