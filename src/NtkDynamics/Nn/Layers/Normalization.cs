using NtkDynamics.Tensors;

namespace NtkDynamics.Nn.Layers;

/// <summary>
/// A normalisation by each sample's own statistics (LayerNorm, GroupNorm): a sample's elements fall into rows of L
/// consecutive elements, each row is normalised by its own mean and biased variance, x̂ = (x - μ) / √(σ² + ε), and, with
/// the affine parameters, y = γ_j x̂ + β_j, where runs of <c>Segment</c> consecutive elements of a row share one j. Samples
/// are independent, so every mode computes the same; γ = 1 and β = 0 at initialisation, as PyTorch's.
/// </summary>
public abstract class Normalization : UnaryLayer
{
    public const double DefaultEpsilon = 1e-5;

    /// <summary>ε, added to the variance.</summary>
    public double Epsilon { get; }

    /// <summary>γ (PyTorch's "weight"), or null without the affine parameters.</summary>
    public Parameter? Weight { get; }

    /// <summary>β (PyTorch's "bias"), or null without the affine parameters.</summary>
    public Parameter? Bias { get; }

    protected Normalization(int[] parameterShape, double epsilon, bool affine)
    {
        if (!(epsilon > 0)) throw new ArgumentException($"{GetType().Name}: eps must be > 0, got {epsilon}");
        Epsilon = epsilon;
        if (!affine) return;
        Weight = new Parameter("weight", parameterShape);
        Bias = new Parameter("bias", parameterShape);
        Reset();
    }

    public override IReadOnlyList<Parameter> Parameters => Weight is null ? [] : [Weight, Bias!];

    // PyTorch's reset_parameters: γ = 1, β = 0; no random draw.
    public override void Initialise(Parametrisation parametrisation, bool isOutput, Rng rng) => Reset();

    private void Reset()
    {
        Weight?.Value.Fill(1f);
        Bias?.Value.Fill(0f);
    }

    /// <summary>For an input of <paramref name="inputShape"/> (batch included): the rows per sample and the elements of a row
    /// that share one γ and β.</summary>
    protected abstract (int Rows, int Segment) Layout(int[] inputShape);

    /// <summary>The index of γ and β for the first element of row <paramref name="row"/> of a sample (0 ≤ row &lt; Rows).</summary>
    protected abstract int ParameterBase(int row);

    /// <summary>What the backward reads: each row's mean and 1/√(σ² + ε), rows of sample n at n·Rows ....</summary>
    public sealed class State : NodeState
    {
        public float[] Mean = [], InvStd = [];
    }

    public override NodeState CreateState() => new State();

    // x: (N, ...) as rows (N·R, L) -> y: the same shape
    public override Tensor Forward(NodeState state, Tensor x)
    {
        var st = (State)state;
        OutputShape(x.Shape);
        var (perSample, segment) = Layout(x.Shape);
        int rows = x.Shape[0] * perSample, length = x.Length / rows;
        if (st.Mean.Length != rows) { st.Mean = new float[rows]; st.InvStd = new float[rows]; }
        var y = Tensor.ReuseUninitialized(ref state.OutputBuffer, x.Shape);
        float[] xd = x.Data, yd = y.Data;
        float[]? g = Weight?.Value.Data, b = Bias?.Value.Data;
        Parallel.For(0, rows, TensorMath.Options(x.Length), r =>
        {
            var row = xd.AsSpan(r * length, length);
            double sum = 0, squares = 0;
            foreach (float v in row) { sum += v; squares += (double)v * v; }
            double mean = sum / length, variance = Math.Max(0, squares / length - mean * mean);
            float inv = (float)(1 / Math.Sqrt(variance + Epsilon)), mu = (float)mean;
            st.Mean[r] = mu; st.InvStd[r] = inv;
            int at = ParameterBase(r % perSample);
            for (int e = 0; e < length; e += segment, at++)
            {
                float scale = g is null ? inv : g[at] * inv, shift = (b is null ? 0 : b[at]) - mu * scale;
                for (int i = e; i < e + segment; i++) yd[r * length + i] = xd[r * length + i] * scale + shift;
            }
        });
        return y;
    }

    // dy: (r·N, ...) as rows; row t reads the statistics of row t mod N·R. With ĝ = γ ⊙ dy over a row:
    // dx = inv (ĝ - Σĝ/L - x̂ Σ(ĝ x̂)/L); dγ_j += Σ dy x̂, dβ_j += Σ dy over the elements that share j.
    public override Tensor? Backward(NodeState state, Tensor gradOutput, Gradients? gradients, bool inputGradient)
    {
        var st = (State)state;
        var x = state.Input;
        var (perSample, segment) = Layout(x.Shape);
        int statRows = st.Mean.Length, length = x.Length / statRows, rows = gradOutput.Length / length;
        float[] xd = x.Data, dy = gradOutput.Data;
        float[]? g = Weight?.Value.Data;
        if (gradients is not null && Weight is not null)
        {
            CheckBatch(gradOutput, state);
            AddParameterGradients(st, xd, dy, perSample, segment, length, gradients);
        }
        if (!inputGradient) return null;
        var dx = Tensor.ReuseUninitialized(ref state.GradientBuffer, gradOutput.Shape);
        float[] d = dx.Data;
        Parallel.For(0, rows, TensorMath.Options(gradOutput.Length), t =>
        {
            int r = t % statRows, xAt = r * length, dAt = t * length;
            float mu = st.Mean[r], inv = st.InvStd[r];
            double sumG = 0, sumGx = 0;
            int at = ParameterBase(r % perSample);
            for (int e = 0; e < length; e += segment, at++)
            {
                float gamma = g is null ? 1f : g[at];
                for (int i = e; i < e + segment; i++)
                {
                    float gh = gamma * dy[dAt + i];
                    d[dAt + i] = gh;
                    sumG += gh;
                    sumGx += gh * ((xd[xAt + i] - mu) * inv);
                }
            }
            float meanG = (float)(sumG / length), meanGx = (float)(sumGx / length);
            for (int i = 0; i < length; i++) d[dAt + i] = inv * (d[dAt + i] - meanG - (xd[xAt + i] - mu) * inv * meanGx);
        });
        return dx;
    }

    // Row after row in one order (a fixed order of additions: reruns give the same bits), in float64, then into the gradients.
    private void AddParameterGradients(State st, float[] xd, float[] dy, int perSample, int segment, int length, Gradients gradients)
    {
        var dGamma = new double[Weight!.Value.Length];
        var dBeta = new double[dGamma.Length];
        for (int r = 0; r < st.Mean.Length; r++)
        {
            float mu = st.Mean[r], inv = st.InvStd[r];
            int at = ParameterBase(r % perSample);
            for (int e = 0; e < length; e += segment, at++)
                for (int i = r * length + e; i < r * length + e + segment; i++)
                {
                    dGamma[at] += (double)dy[i] * ((xd[i] - mu) * inv);
                    dBeta[at] += dy[i];
                }
        }
        float[] gg = gradients.Of(Weight).Data, gb = gradients.Of(Bias!).Data;
        for (int j = 0; j < gg.Length; j++) { gg[j] += (float)dGamma[j]; gb[j] += (float)dBeta[j]; }
    }
}
