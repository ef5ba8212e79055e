using NtkDynamics.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace NtkDynamics.Nn.Layers;

/// <summary>y = a ⊙ b, the elementwise product of two inputs of one shape (ONNX's Mul of two computed values: GELU's
/// x · (1 + erf(x/√2))); d/da = dy ⊙ b, d/db = dy ⊙ a. No parameters.</summary>
public sealed class Multiply : Layer
{
    public override int Arity => 2;

    public override int[] OutputShape(IReadOnlyList<int[]> inputShapes)
    {
        if (!inputShapes[0].AsSpan(1).SequenceEqual(inputShapes[1].AsSpan(1)))
            throw new ArgumentException($"{Describe()}{(Name.Length > 0 ? $" '{Name}'" : "")}: inputs of shapes {Tensor.Format(inputShapes[0][1..])} and {Tensor.Format(inputShapes[1][1..])} do not meet (no broadcasting)");
        return inputShapes[0];
    }

    private sealed class State : NodeState
    {
        public Tensor? SecondGradient;
    }

    public override NodeState CreateState() => new State();

    // a, b: (N, ...) -> y: (N, ...)
    public override Tensor Forward(NodeState state)
    {
        var (a, b) = (state.Inputs[0], state.Inputs[1]);
        var y = Tensor.ReuseUninitialized(ref state.OutputBuffer, OutputShape([a.Shape, b.Shape]));
        TensorPrimitives.Multiply(a.Data, b.Data, y.Data);
        return y;
    }

    // dy: (r·N, ...) -> da = dy ⊙ b, db = dy ⊙ a, row j reading sample j mod N
    public override Tensor?[] Backward(NodeState state, Tensor gradOutput, Gradients? gradients)
    {
        if (!state.InputGradient) return [null, null];
        var st = (State)state;
        var (a, b) = (state.Inputs[0], state.Inputs[1]);
        var da = Tensor.ReuseUninitialized(ref state.GradientBuffer, gradOutput.Shape);
        var db = Tensor.ReuseUninitialized(ref st.SecondGradient, gradOutput.Shape);
        int length = a.Length;
        for (int at = 0; at < gradOutput.Length; at += length)
        {
            var g = gradOutput.Data.AsSpan(at, length);
            TensorPrimitives.Multiply(g, b.Data, da.Data.AsSpan(at, length));
            TensorPrimitives.Multiply(g, a.Data, db.Data.AsSpan(at, length));
        }
        return [da, db];
    }

    public override string Describe() => "Multiply";
}
