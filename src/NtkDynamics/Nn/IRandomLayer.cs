namespace NtkDynamics.Nn;

/// <summary>
/// A layer that draws random numbers in its forward pass (Dropout). Its generator is seeded by <see cref="Layer.Initialise"/>
/// and is model state besides the state dict: checkpoints save it (<see cref="Model.RandomState"/>), so that a resumed run
/// draws what the uninterrupted one would have.
/// </summary>
public interface IRandomLayer
{
    /// <summary>The generator's whole state (<see cref="Tensors.Rng.GetState"/>); setting it makes the next draws those of that state.</summary>
    ulong[] RandomState { get; set; }
}
