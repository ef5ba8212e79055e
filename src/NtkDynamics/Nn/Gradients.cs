using NtkDynamics.Tensors;

namespace NtkDynamics.Nn;

/// <summary>
/// Where a backward pass adds parameter gradients: each parameter's own <see cref="Parameter.Grad"/> (<see cref="Own"/>), or
/// tensors of the caller's (a per-sample gradient for the eNTK's generic block), without touching the training gradients.
/// </summary>
public sealed class Gradients
{
    private readonly IReadOnlyDictionary<Parameter, Tensor>? _into;

    private Gradients(IReadOnlyDictionary<Parameter, Tensor>? into) => _into = into;

    /// <summary>Into <see cref="Parameter.Grad"/>.</summary>
    public static Gradients Own { get; } = new(null);

    /// <summary>Into the given tensors, one per parameter with its shape.</summary>
    public static Gradients Into(IReadOnlyDictionary<Parameter, Tensor> tensors) => new(tensors);

    /// <summary>The tensor to add <paramref name="p"/>'s gradient into.</summary>
    public Tensor Of(Parameter p) => _into is null ? p.Grad : _into[p];
}
