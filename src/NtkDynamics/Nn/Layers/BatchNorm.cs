using NtkDynamics.Tensors;

namespace NtkDynamics.Nn.Layers;

/// <summary>
/// Batch normalisation over the channels of (N, C, ...) as PyTorch's BatchNorm2d (N, C, H, W) and BatchNorm1d ((N, C) or
/// (N, C, L)): y = γ (x - μ_c) / √(σ²_c + ε) + β, by default ε = 1e-5 and momentum 0.1 (PyTorch's).
/// - <see cref="Mode.Train"/>: μ, σ² are the batch's (σ² biased), and the running statistics move:
///   running_mean ← (1 - m) running_mean + m μ, running_var ← (1 - m) running_var + m σ² M / (M - 1) (unbiased; M = N·H·W);
///   num_batches_tracked counts the updates. The backward differentiates through μ and σ².
/// - <see cref="Mode.Eval"/>: the running statistics (the eNTK's default).
/// - <see cref="Mode.FrozenBatchStatistics"/>: the batch's statistics, held constant (no update, no derivative through them).
/// </summary>
public sealed class BatchNorm : UnaryLayer, INtkLayer
{
    public const double DefaultEpsilon = 1e-5, DefaultMomentum = 0.1;

    public int Channels { get; }

    /// <summary>ε, added to the variance.</summary>
    public double Epsilon { get; }

    /// <summary>The running statistics' momentum m.</summary>
    public double Momentum { get; }

    /// <summary>2 for BatchNorm2d (N, C, H, W); 1 for BatchNorm1d ((N, C) or (N, C, L)).</summary>
    public int SpatialRank { get; }

    /// <summary>γ [C] (PyTorch's "weight"), initialised to 1.</summary>
    public Parameter Weight { get; }

    /// <summary>β [C] (PyTorch's "bias"), initialised to 0.</summary>
    public Parameter Bias { get; }

    public BufferTensor RunningMean { get; }
    public BufferTensor RunningVar { get; }
    public BufferTensor BatchesTracked { get; }

    public BatchNorm(int channels, int spatialRank = 2, double epsilon = DefaultEpsilon, double momentum = DefaultMomentum)
    {
        if (channels < 1) throw new ArgumentException($"BatchNorm: channels must be >= 1, got {channels}");
        if (spatialRank is not (1 or 2)) throw new ArgumentException($"BatchNorm: spatial rank 1 (BatchNorm1d) or 2 (BatchNorm2d), got {spatialRank}");
        if (!(epsilon > 0) || !(momentum is >= 0 and <= 1)) throw new ArgumentException($"BatchNorm: eps must be > 0 and momentum in [0, 1], got {epsilon}, {momentum}");
        Channels = channels; SpatialRank = spatialRank; Epsilon = epsilon; Momentum = momentum;
        Weight = new Parameter("weight", channels);
        Bias = new Parameter("bias", channels);
        RunningMean = new BufferTensor("running_mean", channels);
        RunningVar = new BufferTensor("running_var", channels);
        BatchesTracked = new BufferTensor("num_batches_tracked");
        Reset();
    }

    public override IReadOnlyList<Parameter> Parameters => [Weight, Bias];
    public override IReadOnlyList<BufferTensor> Buffers => [RunningMean, RunningVar, BatchesTracked];

    // PyTorch's reset_parameters and reset_running_stats: γ = 1, β = 0, mean 0, var 1, no batches; no random draw.
    public override void Initialise(Parametrisation parametrisation, bool isOutput, Rng rng) => Reset();

    private void Reset()
    {
        Weight.Value.Fill(1f); Bias.Value.Fill(0f);
        RunningMean.Value.Fill(0f); RunningVar.Value.Fill(1f); BatchesTracked.Value.Fill(0f);
    }

    /// <summary>What the backward and the eNTK block read: per channel, the mean and 1/√(σ² + ε) the forward normalised with.</summary>
    public sealed class State : NodeState
    {
        public float[] Mean = [], InvStd = [];
    }

    public override NodeState CreateState() => new State();

    public override int[] OutputShape(int[] s)
    {
        bool fits = SpatialRank == 2 ? s.Length == 4 : s.Length is 2 or 3;
        if (!fits || s[1] != Channels) throw ShapeError(SpatialRank == 2 ? $"[N, {Channels}, H, W]" : $"[N, {Channels}] or [N, {Channels}, L]", s);
        return s;
    }

    // x: (N, C, S) -> y = γ_c (x - μ_c) inv_c + β_c, the same shape.
    public override Tensor Forward(NodeState state, Tensor x)
    {
        var st = (State)state;
        OutputShape(x.Shape);
        int n = x.Shape[0], c = Channels, s = x.Length / (n * c);
        if (st.Mean.Length != c) { st.Mean = new float[c]; st.InvStd = new float[c]; }
        bool batch = state.Mode != Mode.Eval;
        if (batch && state.Mode == Mode.Train && n * s < 2)
            throw new ArgumentException($"{Describe()} '{Name}': training needs more than one value per channel, got input {Tensor.Format(x.Shape)}");
        var y = Tensor.ReuseUninitialized(ref state.OutputBuffer, x.Shape);
        float[] xd = x.Data, yd = y.Data, g = Weight.Value.Data, b = Bias.Value.Data, rm = RunningMean.Value.Data, rv = RunningVar.Value.Data;
        Parallel.For(0, c, TensorMath.Options(x.Length), ch =>
        {
            double mean, variance;
            if (batch)
            {
                double sum = 0, squares = 0;
                for (int i = 0; i < n; i++)
                {
                    var (ps, pq) = BatchNormKernels.SumAndSquares(xd.AsSpan((i * c + ch) * s, s));
                    sum += ps; squares += pq;
                }
                int m = n * s;
                mean = sum / m;
                variance = Math.Max(0, squares / m - mean * mean);
                if (state.Mode == Mode.Train)
                {
                    rm[ch] = (float)((1 - Momentum) * rm[ch] + Momentum * mean);
                    rv[ch] = (float)((1 - Momentum) * rv[ch] + Momentum * variance * m / (m - 1));
                }
            }
            else (mean, variance) = (rm[ch], rv[ch]);
            float inv = (float)(1 / Math.Sqrt(variance + Epsilon));
            st.Mean[ch] = (float)mean; st.InvStd[ch] = inv;
            float scale = g[ch] * inv, shift = b[ch] - st.Mean[ch] * scale;
            for (int i = 0; i < n; i++)
                BatchNormKernels.Affine(xd.AsSpan((i * c + ch) * s, s), scale, shift, yd.AsSpan((i * c + ch) * s, s));
        });
        if (state.Mode == Mode.Train) BatchesTracked.Value.Data[0]++;
        return y;
    }

    // dy: (N, C, S) (r·N rows outside training). x̂ = (x - μ) inv, recomputed from the input.
    // dγ_c += Σ dy x̂, dβ_c += Σ dy. dx = γ inv dy, and in training (μ, σ² of the batch) γ inv (dy - Σdy/M - x̂ Σ(dy x̂)/M).
    public override Tensor? Backward(NodeState state, Tensor gradOutput, Gradients? gradients, bool inputGradient)
    {
        var st = (State)state;
        var x = state.Input;
        if (gradients is not null) CheckBatch(gradOutput, state);
        int n = x.Shape[0], c = Channels, s = x.Length / (n * c), replicas = gradOutput.Shape[0] / n;
        bool train = state.Mode == Mode.Train;
        var dx = inputGradient ? Tensor.ReuseUninitialized(ref state.GradientBuffer, gradOutput.Shape) : null;
        float[] xd = x.Data, dy = gradOutput.Data, g = Weight.Value.Data;
        float[]? dg = gradients?.Of(Weight).Data, db = gradients?.Of(Bias).Data;
        Parallel.For(0, c, TensorMath.Options(gradOutput.Length), ch =>
        {
            float mean = st.Mean[ch], inv = st.InvStd[ch];
            for (int t = 0; t < replicas; t++)
            {
                double sumDy = 0, sumDyXhat = 0;
                if (train || dg is not null)
                    for (int i = 0; i < n; i++)
                    {
                        var (sd, sp) = BatchNormKernels.CotangentSums(dy.AsSpan(((t * n + i) * c + ch) * s, s), xd.AsSpan((i * c + ch) * s, s), mean, inv);
                        sumDy += sd; sumDyXhat += sp;
                    }
                if (dg is not null) { dg[ch] += (float)sumDyXhat; db![ch] += (float)sumDy; }
                if (dx is null) continue;
                float scale = g[ch] * inv;
                int m = n * s;
                float meanDy = train ? (float)(sumDy / m) : 0f, meanDyXhat = train ? (float)(sumDyXhat / m) : 0f;
                float[] d = dx.Data;
                for (int i = 0; i < n; i++)
                {
                    int at = (i * c + ch) * s, dyAt = ((t * n + i) * c + ch) * s;
                    if (train)
                        BatchNormKernels.TrainInputGradient(dy.AsSpan(dyAt, s), xd.AsSpan(at, s), d.AsSpan(dyAt, s), scale, meanDy, mean, inv, meanDyXhat);
                    else
                        System.Numerics.Tensors.TensorPrimitives.Multiply(dy.AsSpan(dyAt, s), scale, d.AsSpan(dyAt, s));
                }
            }
        });
        return dx;
    }

    /// <inheritdoc/>
    public INtkBlock NtkBlock(NodeState state, NtkPlan plan) => new BatchNormNtkBlock(this, (State)state, plan.Samples);

    public override string Describe() => $"BatchNorm{SpatialRank}d({Channels})";
}
