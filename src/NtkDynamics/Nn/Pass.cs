using System.Numerics.Tensors;
using NtkDynamics.Tensors;
using Tensor = NtkDynamics.Tensors.Tensor;

namespace NtkDynamics.Nn;

/// <summary>
/// One forward pass over a model and the backward passes against it: every node's <see cref="NodeState"/> (its inputs,
/// output and what its backward needs) in one <see cref="Mode"/>. A pass's buffers are reused by its next forward pass;
/// two passes over one model never share them, so a reader of this pass (an eNTK block) sees its activations and no others.
/// </summary>
public sealed class Pass
{
    private readonly NodeState[] _states;
    private readonly bool[] _hasParameterAncestor; // the node or one of its ancestors has parameters
    private readonly Tensor?[] _grads;             // per node: its output gradient in the running backward pass
    private readonly bool[] _summed;               // ... a sum of its consumers' gradients, in a buffer of the pool
    private readonly GradientPool _pool = new();   // the backward pass's gradient buffers
    private bool _inputGradient;                   // the running backward pass goes back to the input
    private Tensor? _output;

    public Model Model { get; }

    /// <summary>How the next forward pass computes.</summary>
    public Mode Mode { get; set; }

    internal Pass(Model model, Mode mode)
    {
        Model = model; Mode = mode;
        var nodes = model.Nodes;
        _states = nodes.Select(n => n.Layer.CreateState()).ToArray();
        _grads = new Tensor?[nodes.Count];
        _summed = new bool[nodes.Count];
        _hasParameterAncestor = new bool[nodes.Count];
        foreach (var n in nodes) _hasParameterAncestor[n.Index] = n.HasParameters || n.Inputs.Any(i => _hasParameterAncestor[i.Index]);
    }

    /// <summary>The state of <paramref name="node"/> in this pass.</summary>
    public NodeState this[Node node] => _states[node.Index];

    /// <summary>The logits of the last forward pass.</summary>
    public Tensor Output => _output ?? throw new InvalidOperationException($"{Model.Description}: no forward pass yet");

    /// <summary>The batch of the last forward pass.</summary>
    public int Batch => _states[0].Input.Shape[0];

    /// <summary>x: (N, ...input shape) -> logits (N, classes): every node in topological order.</summary>
    public Tensor Forward(Tensor x)
    {
        int[] want = [x.Shape[0], .. Model.InputShape];
        if (x.Rank == 0 || x.Shape[0] < 1 || !x.ShapeEquals(want))
            throw new ArgumentException($"{Model.Description}: expected input {Tensor.Format([x.Rank == 0 ? 0 : x.Shape[0], .. Model.InputShape])}, got {Tensor.Format(x.Shape)}");
        foreach (var node in Model.Nodes)
        {
            var s = _states[node.Index];
            s.Mode = Mode;
            s.Inputs = node.Index == 0 ? [x] : node.Inputs.Select(i => _states[i.Index].Output!).ToArray();
            s.Output = node.Layer.Forward(s);
        }
        return _output = _states[^1].Output!;
    }

    /// <summary>
    /// Back-propagates <paramref name="gradOutput"/> (d/d logits, (N, classes), or r·N rows without <paramref name="gradients"/>)
    /// against the last forward pass, in reverse topological order, adding up the gradients of a node that feeds several.
    /// Parameter gradients go into <paramref name="gradients"/> when it is given. Only nodes whose gradient leads somewhere
    /// wanted run: to a layer with parameters, or to the input when <paramref name="inputGradient"/> (then d/d input is
    /// returned, else null). <paramref name="step"/> may take over a node's backward (the eNTK's fusions and cotangents).
    /// </summary>
    public Tensor? Backward(Tensor gradOutput, Gradients? gradients, bool inputGradient, IBackwardStep? step = null)
    {
        var nodes = Model.Nodes;
        if (gradOutput.Rank != 2 || gradOutput.Shape[1] != Model.Classes || gradOutput.Shape[0] % Batch != 0 || (gradients is not null && gradOutput.Shape[0] != Batch))
            throw new ArgumentException($"{Model.Description}: the gradient of the logits should be [{Batch}{(gradients is null ? "·r" : "")}, {Model.Classes}], got {Tensor.Format(gradOutput.Shape)}");
        Array.Clear(_grads);
        Array.Clear(_summed);
        _inputGradient = inputGradient;
        _grads[^1] = gradOutput;
        for (int v = nodes.Count - 1; v > 0; v--)
        {
            var node = nodes[v];
            if (_grads[v] is not { } g || !Wanted(node)) continue;
            if (step is null || !step.Step(node, g, this)) RunBackward(node, g, gradients);
            _pool.Release(g); // node v's slot lets go of its gradient
        }
        var dx = inputGradient ? _grads[0] : null;
        Array.Clear(_grads); // hold no gradients between calls
        _pool.Forget();      // the input gradient is the caller's
        return dx;
    }

    // The node's layer backward, its input gradient in a buffer of the pool (unless it is the model's input gradient, which
    // the caller keeps): the state holds that buffer only while the layer runs.
    private void RunBackward(Node node, Tensor g, Gradients? gradients)
    {
        var s = _states[node.Index];
        s.InputGradient = node.Inputs.Any(Wanted);
        var rented = s.InputGradient && s.GradientBuffer is null && node.Inputs[0].Index > 0
            ? s.GradientBuffer = _pool.Rent([g.Shape[0], .. node.Inputs[0].OutputShape])
            : null;
        var inputs = node.Layer.Backward(s, g, node.HasParameters ? gradients : null);
        for (int i = 0; i < node.Inputs.Count && i < inputs.Length; i++)
            if (inputs[i] is { } gi) Give(node.Inputs[i], gi);
        if (rented is null) return;
        if (ReferenceEquals(s.GradientBuffer, rented)) s.GradientBuffer = null;
        _pool.ReleaseUnheld(rented);
    }

    /// <summary>Whether the running backward pass needs <paramref name="node"/>'s output gradient.</summary>
    public bool Wanted(Node node) => _hasParameterAncestor[node.Index] || _inputGradient;

    /// <summary>Whether <paramref name="node"/> or one of the nodes it depends on has parameters (a backward pass for parameter
    /// gradients goes through it).</summary>
    public bool HasParameterAncestor(Node node) => _hasParameterAncestor[node.Index];

    /// <summary>
    /// Adds <paramref name="gradient"/> to <paramref name="node"/>'s output gradient in the running backward pass (when it is
    /// wanted): the first is taken as it is (no copy), a second one makes the sum in a buffer of the pool.
    /// </summary>
    public void Give(Node node, Tensor gradient)
    {
        int t = node.Index;
        if (!Wanted(node)) return;
        if (_grads[t] is not { } have)
        {
            _grads[t] = gradient;
            _pool.Hold(gradient);
            return;
        }
        if (!_summed[t])
        {
            var sum = _pool.Rent(have.Shape);
            TensorPrimitives.Add(have.Data, gradient.Data, sum.Data);
            _pool.Hold(sum);
            _pool.Release(have);
            _grads[t] = sum;
            _summed[t] = true;
            return;
        }
        TensorPrimitives.Add(have.Data, gradient.Data, have.Data);
    }
}

/// <summary>Takes over the backward of some nodes in a <see cref="Pass.Backward"/> (the eNTK's cotangents and fusions).</summary>
public interface IBackwardStep
{
    /// <summary>
    /// Called for each node whose gradient is wanted, with its output gradient <paramref name="gradOutput"/> (summed over its
    /// consumers), before its layer's backward. Returns true when it has done the node's backward itself, giving the nodes
    /// it goes back to their gradients with <see cref="Pass.Give"/>; false lets the layer's backward run.
    /// </summary>
    bool Step(Node node, Tensor gradOutput, Pass pass);
}
