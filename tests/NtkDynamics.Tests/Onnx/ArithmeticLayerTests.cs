using NtkDynamics.Nn;
using NtkDynamics.Nn.Layers;
using NtkDynamics.Tensors;
using static NtkDynamics.Tests.Nn.LayerGradientTests;

namespace NtkDynamics.Tests.Onnx;

/// <summary>The layers the ONNX import adds (ConstantOperand, Multiply, Reshape): finite differences, broadcasting, and
/// replicated rows (the eNTK's r·N cotangent rows) giving what each replica gives alone.</summary>
public class ArithmeticLayerTests
{
    private static IEnumerable<Layer> Layers()
    {
        var constants = new[] { new Tensor([1.7f], []), Random(11, 3, 1, 1), Random(12, 5), Random(13, 1, 3, 4, 5) };
        foreach (var op in Enum.GetValues<ConstantOp>())
            foreach (var c in constants)
                yield return new ConstantOperand(op, op is ConstantOp.Divide ? Away(c) : c);
        yield return new Reshape([4, 15]);
    }


    // |v| + 0.5 with the sign kept: divisors away from 0.
    private static Tensor Away(Tensor t) => new(t.Data.Select(v => v < 0 ? v - 0.5f : v + 0.5f).ToArray(), t.Shape);

    private static Tensor Input(ulong seed) => Away(Random(seed, 2, 3, 4, 5));

    [Theory]
    [InlineData(Mode.Train)]
    [InlineData(Mode.Eval)]
    public void GradientsMatchFiniteDifferences(Mode mode)
    {
        ulong seed = 100;
        foreach (var layer in Layers()) CheckLayer(layer, seed += 10, mode, 1e-3, Input(seed));
        CheckLayer(new Multiply(), seed += 10, mode, 1e-3, Input(seed), Input(seed + 1));
    }

    [Fact]
    public void ConstantsBroadcastAsNumpy()
    {
        var x = Random(1, 2, 3, 4, 5);
        var c = Random(2, 3, 1, 1);
        var y = Run(new ConstantOperand(ConstantOp.Subtract, c), Mode.Eval, x).Y;
        for (int i = 0; i < x.Length; i++) Assert.Equal(x.Data[i] - c.Data[i / 20 % 3], y.Data[i]);
        var z = Run(new ConstantOperand(ConstantOp.DivideInto, new Tensor([2f], [])), Mode.Eval, x).Y;
        for (int i = 0; i < x.Length; i++) Assert.Equal(2f / x.Data[i], z.Data[i]);
        Assert.Contains("broadcasts", Assert.Throws<ArgumentException>(() => new ConstantOperand(ConstantOp.Add, Random(3, 4)).OutputShape([[2, 3, 4, 5]])).Message);
        Assert.Contains("broadcasts", Assert.Throws<ArgumentException>(() => new ConstantOperand(ConstantOp.Add, Random(3, 2, 5)).OutputShape([[2, 5]])).Message);
        Assert.Empty(new ConstantOperand(ConstantOp.Add, c).Buffers);
        Assert.Equal("scale", Assert.Single(new ConstantOperand(ConstantOp.Multiply, c, "scale").Buffers).Name);
    }

    [Fact]
    public void ReplicatedRowsBackPropagateAsEachReplicaAlone()
    {
        ulong seed = 300;
        foreach (var layer in Layers().Append(new Multiply()))
        {
            Tensor[] inputs = layer is Multiply ? [Input(seed++), Input(seed++)] : [Input(seed++)];
            var (state, y) = Run(layer, Mode.Eval, inputs);
            var dy = Random(seed++, [3 * y.Shape[0], .. y.Shape[1..]]);
            var all = layer.Backward(state, dy, null).Select(g => g!.Data.ToArray()).ToArray();
            for (int t = 0; t < 3; t++)
            {
                var one = new Tensor(dy.Data.AsSpan(t * y.Length, y.Length).ToArray(), y.Shape);
                var alone = layer.Backward(state, one, null);
                for (int i = 0; i < inputs.Length; i++)
                    Assert.Equal(alone[i]!.Data, all[i].AsSpan(t * inputs[i].Length, inputs[i].Length).ToArray());
            }
        }
    }
}
