using NtkDynamics.Tensors;

namespace NtkDynamics.Nn;

/// <summary>
/// A state-dict tensor that is not trained (PyTorch's buffers: BatchNorm's running statistics), named as in PyTorch's state
/// dict ("bn1.running_mean"). Integer buffers (num_batches_tracked) are held as float32, exact up to 2^24.
/// </summary>
public sealed class BufferTensor(string name, params int[] shape)
{
    public string Name { get; internal set; } = name;
    public Tensor Value { get; } = new(shape);

    public override string ToString() => $"{Name} {Tensor.Format(Value.Shape)}";
}
