using NtkDynamics.Formats;
using NtkDynamics.Nn;
using NtkDynamics.Nn.Layers;
using NtkDynamics.Tensors;

namespace NtkDynamics.Tests.PyTorch;

/// <summary>
/// The ReLU kinks of the ResNet-18 fixture (make_resnet_fixtures.py, Relus): inputs so close to zero in PyTorch's float64
/// run that a float32 engine's rounding may put them on the other side. Which ones flip depends on the BLAS kernel (1-2 per
/// pass under some OpenBLAS cores, none under others), and a flipped unit moves a gradient by far more than 1e-5, so a test
/// that compares float32 gradients with float64 ones must take float64's branch at them, as the script does for PyTorch's
/// own float32 run. For each training pass the fixture lists every input within 4x the largest float32 deviation of its
/// call: kinks.&lt;pass&gt; rows (call, flat index, float64 input), the call counting the model's ReLUs in topological order
/// (PyTorch's call order), and kink_margins.&lt;pass&gt; (one per call).
/// </summary>
internal sealed class ReluKinks
{
    private readonly Dictionary<string, (int Call, int Index, double X64)[]> _passes = [];

    /// <summary>The pass the next forward belongs to ("train", "sgd0", ...): its kinks are pinned.</summary>
    public string Pass { get; set; } = "";

    public ReluKinks(IReadOnlyDictionary<string, NdArray> fixture)
    {
        foreach (var (key, array) in fixture.Where(e => e.Key.StartsWith("kinks.")))
        {
            var v = array.ToDouble();
            _passes[key["kinks.".Length..]] = [.. Enumerable.Range(0, v.Length / 3).Select(r => ((int)v[3 * r], (int)v[3 * r + 1], v[3 * r + 2]))];
            Assert.Equal(17, fixture[$"kink_margins.{key["kinks.".Length..]}"].Shape[0]); // ResNet-18's ReLU calls
        }
    }

    /// <summary>The same model (its layers and so its weights) with every ReLU pinned at the current pass's kinks.</summary>
    public Model Pin(Model model)
    {
        int call = 0;
        var nodes = model.Nodes.Skip(1).Select(n => new NodeSpec(n.Name,
            n.Layer is Relu ? new PinnedRelu(this, call++) : n.Layer, [.. n.Inputs.Select(i => i.Name)])).ToArray();
        Assert.Equal(17, call);
        return new Model(model.Description, model.InputShape, nodes, model.Output.Name);
    }

    private IEnumerable<(int Index, bool Positive)> At(int call) =>
        _passes.TryGetValue(Pass, out var kinks) ? kinks.Where(k => k.Call == call).Select(k => (k.Index, k.X64 > 0)) : [];

    /// <summary>ReLU that takes float64's branch at the kinks of its call: y = x there where float64's input was positive,
    /// else 0, and the gradient passes exactly where float64's did.</summary>
    private sealed class PinnedRelu(ReluKinks kinks, int call) : UnaryLayer
    {
        private readonly Relu _relu = new();

        public override int[] OutputShape(int[] inputShape) => inputShape;

        // x: any shape; y: same shape
        public override Tensor Forward(NodeState state, Tensor x)
        {
            var y = _relu.Forward(state, x);
            foreach (var (i, positive) in kinks.At(call)) y.Data[i] = positive ? x.Data[i] : 0;
            return y;
        }

        public override Tensor? Backward(NodeState state, Tensor gradOutput, Gradients? gradients, bool inputGradient)
        {
            var dx = _relu.Backward(state, gradOutput, gradients, inputGradient);
            if (dx == null) return null;
            int len = state.Output!.Length;
            for (int start = 0; start < dx.Length; start += len)
                foreach (var (i, positive) in kinks.At(call)) dx.Data[start + i] = positive ? gradOutput.Data[start + i] : 0;
            return dx;
        }

        public override string Describe() => $"ReLU pinned at the fixture's kinks (call {call})";
    }
}
