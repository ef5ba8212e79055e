namespace NtkDynamics.Theory;

/// <summary>How a fully connected layer scales its weights; see CONVENTIONS.md in this folder.</summary>
public enum Parametrisation
{
    /// <summary>h = (σ_w/√fan_in) W x + σ_b b with W, b ~ N(0, 1): the parameters are W and b.</summary>
    Ntk,

    /// <summary>h = W x + b with W ~ N(0, σ_w²/fan_in), b ~ N(0, σ_b²): the parameters are W and b.</summary>
    Standard,
}
