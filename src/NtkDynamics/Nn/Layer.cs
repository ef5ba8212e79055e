using NtkDynamics.Tensors;

namespace NtkDynamics.Nn;

/// <summary>
/// One layer of a model's graph: a forward that keeps what its backward needs in the <see cref="NodeState"/> of its forward
/// pass (never in the layer: two passes over one model, training's and the eNTK's, must not see each other's values), and an
/// exact backward that adds parameter gradients into a <see cref="Gradients"/> target (when given) and returns the gradient
/// with respect to each input. The batch is the first dimension. See docs/graph-api.md for the whole contract.
/// </summary>
public abstract class Layer
{
    /// <summary>The node's name, PyTorch's module path ("conv1", "layer1.0.bn1"); its parameters are "{Name}.weight", ...</summary>
    public string Name { get; internal set; } = "";

    /// <summary>Trainable tensors, named relative to the layer ("weight", "bias") until the graph prefixes them with <see cref="Name"/>.</summary>
    public virtual IReadOnlyList<Parameter> Parameters => [];

    /// <summary>State-dict tensors that are not trained (BatchNorm's "running_mean", "running_var", "num_batches_tracked").</summary>
    public virtual IReadOnlyList<BufferTensor> Buffers => [];

    /// <summary>How many inputs the layer takes; <see cref="AnyArity"/> for two or more (Add).</summary>
    public virtual int Arity => 1;

    /// <summary>The <see cref="Arity"/> of a layer that takes two or more inputs.</summary>
    public const int AnyArity = -1;

    /// <summary>The output shape for the input shapes (batch included); throws <see cref="ArgumentException"/> naming the
    /// layer when they do not fit.</summary>
    public abstract int[] OutputShape(IReadOnlyList<int[]> inputShapes);

    /// <summary>A fresh state for one node in one forward pass; layers that keep more than their inputs and output derive their own.</summary>
    public virtual NodeState CreateState() => new();

    /// <summary>
    /// Computes the output from <see cref="NodeState.Inputs"/> (set by the pass) in <see cref="NodeState.Mode"/>, and keeps
    /// in <paramref name="state"/> what the backward needs. The output may be a buffer of the state, reused by the next pass.
    /// </summary>
    public abstract Tensor Forward(NodeState state);

    /// <summary>
    /// Back-propagates <paramref name="gradOutput"/> (the output's shape) against the state's forward pass: adds parameter
    /// gradients into <paramref name="gradients"/> when it is not null, and returns one gradient per input (null for all when
    /// <see cref="NodeState.InputGradient"/> is false). It must not change <paramref name="gradOutput"/>. Without
    /// <paramref name="gradients"/> the batch of <paramref name="gradOutput"/> may be a multiple r·N of the forward batch N:
    /// row j is a cotangent for sample j mod N (the eNTK back-propagates all logits of a group in one pass).
    /// </summary>
    public abstract Tensor?[] Backward(NodeState state, Tensor gradOutput, Gradients? gradients);

    /// <summary>
    /// Sets the parametrisation's multipliers and draws the initial values from <paramref name="rng"/>; a layer with
    /// parameters overrides it. <paramref name="isOutput"/> marks the last layer with parameters.
    /// </summary>
    public virtual void Initialise(Parametrisation parametrisation, bool isOutput, Rng rng) { }

    /// <summary>A short description, e.g. "Conv2d(3 -> 64, 3x3, pad 1)".</summary>
    public abstract string Describe();

    /// <summary>An error naming the layer, what it expects and what it got.</summary>
    protected ArgumentException ShapeError(string expected, int[] given) =>
        new($"{Describe()}{(Name.Length > 0 ? $" '{Name}'" : "")}: expected input {expected}, got {Tensor.Format(given)}");

    /// <summary>Throws unless the batch of <paramref name="gradOutput"/> is the forward batch, as parameter gradients need.</summary>
    protected void CheckBatch(Tensor gradOutput, NodeState state)
    {
        if (gradOutput.Shape[0] != state.Input.Shape[0])
            throw new ArgumentException($"{Describe()} '{Name}': parameter gradients need the forward batch {state.Input.Shape[0]}, got {gradOutput.Shape[0]}");
    }
}

/// <summary>A layer of one input: its forward and backward see that tensor alone.</summary>
public abstract class UnaryLayer : Layer
{
    /// <summary>The output shape for the input shape (batch included).</summary>
    public abstract int[] OutputShape(int[] inputShape);

    /// <inheritdoc/>
    public sealed override int[] OutputShape(IReadOnlyList<int[]> inputShapes) => OutputShape(inputShapes[0]);

    /// <summary>y = f(x); keeps in <paramref name="state"/> what the backward needs.</summary>
    public abstract Tensor Forward(NodeState state, Tensor x);

    /// <summary>d/dx from d/dy (null when <see cref="NodeState.InputGradient"/> is false); parameter gradients into <paramref name="gradients"/>.</summary>
    public abstract Tensor? Backward(NodeState state, Tensor gradOutput, Gradients? gradients, bool inputGradient);

    /// <inheritdoc/>
    public sealed override Tensor Forward(NodeState state) => Forward(state, state.Input);

    /// <inheritdoc/>
    public sealed override Tensor?[] Backward(NodeState state, Tensor gradOutput, Gradients? gradients) =>
        [Backward(state, gradOutput, gradients, state.InputGradient)];
}
