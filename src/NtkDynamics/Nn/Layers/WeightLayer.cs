using NtkDynamics.Tensors;

namespace NtkDynamics.Nn.Layers;

/// <summary>
/// A layer y = s_w (W x) + s_b b with a weight and an optional bias (Linear, Conv2d): the parametrisation sets the
/// multipliers s_w, s_b and draws W, then b, by the layer's fan-in.
/// </summary>
public abstract class WeightLayer : UnaryLayer
{
    public Parameter Weight { get; }

    /// <summary>Null without a bias (PyTorch's bias=False).</summary>
    public Parameter? Bias { get; }

    /// <summary>The forward multipliers and learning-rate scale from the parametrisation (1, 1, 1 until initialised).</summary>
    public LayerScales Scales { get; internal set; } = new(1f, 1f, 1f);

    /// <summary>Inputs per output: in-features, or Cin·kh·kw.</summary>
    public abstract int FanIn { get; }

    protected WeightLayer(int[] weightShape, bool bias)
    {
        Weight = new Parameter("weight", weightShape);
        if (bias) Bias = new Parameter("bias", weightShape[0]);
    }

    public override IReadOnlyList<Parameter> Parameters => Bias is null ? [Weight] : [Weight, Bias];

    public override void Initialise(Parametrisation parametrisation, bool isOutput, Rng rng)
    {
        Scales = parametrisation.Scales(FanIn, isOutput);
        Weight.LrScale = Scales.LrScale;
        if (Bias is not null) Bias.LrScale = Scales.LrScale;
        parametrisation.Initialise(Weight.Value, Bias?.Value, FanIn, isOutput, rng);
    }
}
