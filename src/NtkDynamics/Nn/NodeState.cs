using NtkDynamics.Tensors;

namespace NtkDynamics.Nn;

/// <summary>How a forward pass computes: training, evaluation, or evaluation with the batch's own statistics frozen.</summary>
public enum Mode
{
    /// <summary>As PyTorch's model.train(): BatchNorm normalises by the batch's statistics and updates its running ones; Dropout drops.</summary>
    Train,

    /// <summary>As model.eval(): BatchNorm uses its running statistics, Dropout is the identity. Samples are independent.</summary>
    Eval,

    /// <summary>
    /// Evaluation, but BatchNorm normalises by this batch's own statistics (as in training), held constant: no running-stat
    /// update, and the backward pass does not differentiate through them (the eNTK "with frozen batch statistics of the probe").
    /// </summary>
    FrozenBatchStatistics,
}

/// <summary>
/// What one node keeps from one forward pass: its inputs, its output and whatever its layer's backward needs (layers derive
/// their own state for more), plus buffers the layer reuses from pass to pass of the same <see cref="Pass"/>.
/// </summary>
public class NodeState
{
    /// <summary>The mode of the forward pass this state belongs to.</summary>
    public Mode Mode { get; internal set; } = Mode.Train;

    /// <summary>The inputs of the last forward pass (shared with the nodes that produced them: do not change them).</summary>
    public IReadOnlyList<Tensor> Inputs { get; internal set; } = [];

    /// <summary>The first input (the only one of a <see cref="UnaryLayer"/>).</summary>
    public Tensor Input => Inputs.Count > 0 ? Inputs[0] : throw new InvalidOperationException("no forward pass yet");

    /// <summary>The output of the last forward pass.</summary>
    public Tensor? Output { get; internal set; }

    /// <summary>Whether a backward pass needs the gradients with respect to the inputs (false for a first layer in training).</summary>
    public bool InputGradient { get; set; } = true;

    /// <summary>A reusable buffer for the output (see <see cref="Tensor.Reuse"/>).</summary>
    public Tensor? OutputBuffer;

    /// <summary>A reusable buffer for the input gradient.</summary>
    public Tensor? GradientBuffer;

    /// <summary>A state in <paramref name="mode"/> over <paramref name="inputs"/>, for running a layer outside a graph (tests, blocks).</summary>
    public static T For<T>(T state, Mode mode, params Tensor[] inputs) where T : NodeState
    {
        state.Mode = mode;
        state.Inputs = inputs;
        return state;
    }
}
