using System.Globalization;
using NtkDynamics.Tensors;

namespace NtkDynamics.Nn.Layers;

/// <summary>
/// PyTorch's Dropout(p): in <see cref="Mode.Train"/> each element is kept with probability 1 - p and scaled by 1/(1 - p)
/// (zeroed otherwise), a new mask each forward pass, kept in the pass's state for the backward; in every other mode (and so
/// in the eNTK) the identity. The mask's generator (xoshiro256**, <see cref="Rng"/>) is forked from the model's at
/// <see cref="Initialise"/> and saved in checkpoints (<see cref="IRandomLayer"/>); element e of a pass is kept when the
/// generator's next double (53 bits, C order) is >= p.
/// </summary>
public sealed class Dropout : UnaryLayer, IRandomLayer
{
    public const double DefaultP = 0.5;

    /// <summary>The probability of zeroing an element.</summary>
    public double P { get; }

    private Rng _rng = new(0);

    public Dropout(double p = DefaultP)
    {
        if (!(p is >= 0 and <= 1)) throw new ArgumentException($"Dropout: p must be in [0, 1], got {p}");
        P = p;
    }

    /// <summary>What a training pass keeps: per element 1/(1 - p) or 0 (empty when the pass did not drop).</summary>
    public sealed class State : NodeState
    {
        public float[] Mask = [];
        public bool Dropped;
    }

    public override NodeState CreateState() => new State();

    public ulong[] RandomState
    {
        get => _rng.GetState();
        set => _rng = Rng.FromState(value);
    }

    public override void Initialise(Parametrisation parametrisation, bool isOutput, Rng rng) => _rng = rng.Fork();

    public override int[] OutputShape(int[] inputShape) => inputShape;

    // x: any shape -> y = x ⊙ mask (training), or x itself
    public override Tensor Forward(NodeState state, Tensor x)
    {
        var st = (State)state;
        st.Dropped = state.Mode == Mode.Train && P > 0;
        if (!st.Dropped) return x;
        if (st.Mask.Length != x.Length) st.Mask = new float[x.Length];
        float scale = P < 1 ? (float)(1 / (1 - P)) : 0f;
        var mask = st.Mask;
        for (int i = 0; i < mask.Length; i++) mask[i] = _rng.NextDouble() >= P ? scale : 0f;
        var y = Tensor.ReuseUninitialized(ref state.OutputBuffer, x.Shape);
        System.Numerics.Tensors.TensorPrimitives.Multiply(x.Data, mask, y.Data);
        return y;
    }

    // dy: (r·N, ...) -> dx = dy ⊙ mask per replica (training), or dy itself
    public override Tensor? Backward(NodeState state, Tensor gradOutput, Gradients? gradients, bool inputGradient)
    {
        if (!inputGradient) return null;
        var st = (State)state;
        if (!st.Dropped) return gradOutput;
        var dx = Tensor.ReuseUninitialized(ref state.GradientBuffer, gradOutput.Shape);
        int len = st.Mask.Length;
        for (int start = 0; start < gradOutput.Length; start += len)
            System.Numerics.Tensors.TensorPrimitives.Multiply(gradOutput.Data.AsSpan(start, len), st.Mask, dx.Data.AsSpan(start, len));
        return dx;
    }

    public override string Describe() => $"Dropout({P.ToString(CultureInfo.InvariantCulture)})";
}
