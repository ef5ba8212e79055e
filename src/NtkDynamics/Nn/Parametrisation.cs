using NtkDynamics.Tensors;

namespace NtkDynamics.Nn;

/// <summary>How a layer with parameters computes and is initialised: y = WeightMultiplier * (W x) + BiasMultiplier * b.</summary>
/// <param name="WeightMultiplier">Scale applied to W x in the forward pass.</param>
/// <param name="BiasMultiplier">Scale applied to b in the forward pass.</param>
/// <param name="LrScale">Learning-rate multiplier of the layer's parameters.</param>
public readonly record struct LayerScales(float WeightMultiplier, float BiasMultiplier, float LrScale);

/// <summary>
/// A parametrisation decides, per layer, the initial distribution of weights and biases and the forward multipliers.
/// Standard and NTK are built in; muP is one more subclass (per-layer multipliers and learning-rate scales).
/// </summary>
public abstract class Parametrisation
{
    /// <summary>"standard" or "ntk" (config value).</summary>
    public abstract string Name { get; }

    /// <summary>The multipliers of a layer with <paramref name="fanIn"/> inputs (Cin*k*k for a convolution).</summary>
    public abstract LayerScales Scales(int fanIn, bool isOutput);

    /// <summary>Draws the layer's initial weight, then its bias (when it has one).</summary>
    public abstract void Initialise(Tensor weight, Tensor? bias, int fanIn, bool isOutput, Rng rng);

    public static Parametrisation Parse(string name, string key = "model.parametrisation") => name switch
    {
        "standard" or "pytorch" => new StandardParametrisation(StandardInit.PyTorchDefault),
        "kaiming" or "standard-kaiming" => new StandardParametrisation(StandardInit.KaimingNormal),
        "ntk" => new NtkParametrisation(),
        _ => throw new InputException($"{key}: '{name}' is not a parametrisation (expected standard, kaiming or ntk)"),
    };
}

/// <summary>Initialisations for the standard parametrisation.</summary>
public enum StandardInit
{
    /// <summary>PyTorch's default for Linear and Conv2d: W, b ~ U(-1/√fan_in, 1/√fan_in).</summary>
    PyTorchDefault,

    /// <summary>Kaiming normal for ReLU (fan_in mode): W ~ N(0, 2/fan_in), b = 0 (the paper's appendix C.4).</summary>
    KaimingNormal,
}

/// <summary>Standard parametrisation: multipliers 1, the scale lives in the initialisation.</summary>
public sealed class StandardParametrisation(StandardInit init) : Parametrisation
{
    public StandardInit Init { get; } = init;
    public override string Name => Init == StandardInit.PyTorchDefault ? "standard" : "kaiming";

    public override LayerScales Scales(int fanIn, bool isOutput) => new(1f, 1f, 1f);

    public override void Initialise(Tensor weight, Tensor? bias, int fanIn, bool isOutput, Rng rng)
    {
        double bound = 1.0 / Math.Sqrt(fanIn);
        if (Init == StandardInit.PyTorchDefault)
        {
            rng.FillUniform(weight.Data, -bound, bound);
            if (bias is not null) rng.FillUniform(bias.Data, -bound, bound);
        }
        else
        {
            rng.FillNormal(weight.Data, Math.Sqrt(2.0 / fanIn));
            bias?.Fill(0f);
        }
    }
}

/// <summary>
/// NTK parametrisation (Jacot et al. 2018): W, b ~ N(0, 1); y = (σ_w/√fan_in) W x + σ_b b.
/// Defaults σ_w = √2 (ReLU), σ_b = 0.1, the same for the output layer.
/// </summary>
public sealed class NtkParametrisation(double sigmaW = 1.4142135623730951, double sigmaB = 0.1) : Parametrisation
{
    public double SigmaW { get; } = sigmaW;
    public double SigmaB { get; } = sigmaB;
    public override string Name => "ntk";

    public override LayerScales Scales(int fanIn, bool isOutput) => new((float)(SigmaW / Math.Sqrt(fanIn)), (float)SigmaB, 1f);

    public override void Initialise(Tensor weight, Tensor? bias, int fanIn, bool isOutput, Rng rng)
    {
        rng.FillNormal(weight.Data, 1.0);
        if (bias is not null) rng.FillNormal(bias.Data, 1.0);
    }
}
