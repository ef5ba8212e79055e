using NtkDynamics.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace NtkDynamics.Nn.Layers;

/// <summary>y = x_1 + x_2 + ... of two or more inputs of one shape (a residual connection); each input's gradient is d/dy itself.</summary>
public sealed class Add : Layer
{
    public override int Arity => AnyArity;

    public override int[] OutputShape(IReadOnlyList<int[]> inputShapes)
    {
        var first = inputShapes[0];
        for (int i = 1; i < inputShapes.Count; i++)
            if (!inputShapes[i].AsSpan(1).SequenceEqual(first.AsSpan(1)))
                throw new ArgumentException($"{Describe()}{(Name.Length > 0 ? $" '{Name}'" : "")}: inputs of shapes {string.Join(" and ", inputShapes.Select(s => Tensor.Format(s[1..])))} do not meet (no broadcasting)");
        return first;
    }

    // x_i: any shape, all the same -> y: that shape
    public override Tensor Forward(NodeState state)
    {
        var inputs = state.Inputs;
        OutputShape(inputs.Select(x => x.Shape).ToArray());
        var y = Tensor.ReuseUninitialized(ref state.OutputBuffer, inputs[0].Shape);
        TensorPrimitives.Add(inputs[0].Data, inputs[1].Data, y.Data);
        for (int i = 2; i < inputs.Count; i++) TensorPrimitives.Add(y.Data, inputs[i].Data, y.Data);
        return y;
    }

    public override Tensor?[] Backward(NodeState state, Tensor gradOutput, Gradients? gradients) =>
        state.InputGradient ? state.Inputs.Select(_ => gradOutput).ToArray() : new Tensor?[state.Inputs.Count];

    public override string Describe() => "Add";
}
