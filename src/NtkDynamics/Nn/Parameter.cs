using NtkDynamics.Tensors;

namespace NtkDynamics.Nn;

/// <summary>A trainable tensor with its gradient, named as in PyTorch's state dict (e.g. "conv1.weight").</summary>
public sealed class Parameter(string name, params int[] shape)
{
    public string Name { get; internal set; } = name;
    public Tensor Value { get; } = new(shape);
    private Tensor? _grad;

    /// <summary>The gradient, allocated on first use (an eNTK-only model of 75M parameters never needs its 300 MB).</summary>
    public Tensor Grad => _grad ??= new Tensor(Value.Shape);

    /// <summary>Learning-rate multiplier set by the parametrisation (1 for standard and NTK; per-layer for muP).</summary>
    public float LrScale { get; set; } = 1f;

    public override string ToString() => $"{Name} {Tensor.Format(Value.Shape)}";
}
