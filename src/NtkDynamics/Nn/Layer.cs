using NtkDynamics.Tensors;

namespace NtkDynamics.Nn;

/// <summary>
/// One layer: a forward that keeps what its backward needs, and an exact backward that accumulates parameter
/// gradients (when asked) and returns the gradient with respect to its input. Batch is the first dimension.
/// </summary>
public abstract class Layer
{
    /// <summary>The prefix of its parameters' names ("conv1", "fc"); empty for layers without parameters.</summary>
    public string Name { get; internal set; } = "";

    public virtual IReadOnlyList<Parameter> Parameters => [];

    /// <summary>The output shape for an input shape (batch included); throws naming the layer when the input does not fit.</summary>
    public abstract int[] OutputShape(int[] inputShape);

    public abstract Tensor Forward(Tensor x);

    /// <summary>Back-propagates <paramref name="gradOutput"/> (shape of the last output); adds parameter gradients into
    /// <see cref="Parameter.Grad"/> when <paramref name="accumulate"/>. Returns the gradient for the last input.
    /// Without <paramref name="accumulate"/> the batch of <paramref name="gradOutput"/> may be a multiple r·N of the forward
    /// batch N: row j is a cotangent for sample j mod N (the eNTK back-propagates all logits of a group in one pass).</summary>
    public abstract Tensor Backward(Tensor gradOutput, bool accumulate = true);

    /// <summary>Adds the parameter gradients only, without the input gradient (the first layer in training needs no more).</summary>
    public virtual void BackwardParameters(Tensor gradOutput) => Backward(gradOutput);

    /// <summary>A short description, e.g. "Conv2d(3 -> 64, 3x3, pad 1)".</summary>
    public abstract string Describe();

    protected ArgumentException ShapeError(string expected, int[] given) =>
        new($"{Describe()}{(Name.Length > 0 ? $" '{Name}'" : "")}: expected input {expected}, got {Tensor.Format(given)}");
}
