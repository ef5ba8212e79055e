using NtkDynamics.Tensors;

namespace NtkDynamics.Nn.Layers;

/// <summary>Fully connected layer: y = s_w x Wᵀ + s_b b, W [out, in] as PyTorch, b optional, multipliers from the parametrisation.</summary>
public sealed class Linear : WeightLayer, INtkLayer
{
    public int In { get; }
    public int Out { get; }

    public Linear(int inFeatures, int outFeatures, bool bias = true) : base([Math.Max(1, outFeatures), Math.Max(1, inFeatures)], bias)
    {
        if (inFeatures < 1 || outFeatures < 1) throw new ArgumentException($"Linear: features must be >= 1, got {inFeatures} -> {outFeatures}");
        In = inFeatures; Out = outFeatures;
    }

    public override int FanIn => In;

    public override int[] OutputShape(int[] s)
    {
        if (s.Length != 2 || s[1] != In) throw ShapeError($"[N, {In}]", s);
        return [s[0], Out];
    }

    // x: (N, In), W: (Out, In), b: (Out) -> y: (N, Out)
    public override Tensor Forward(NodeState state, Tensor x)
    {
        var os = OutputShape(x.Shape);
        var y = Tensor.Reuse(ref state.OutputBuffer, os);
        int n = os[0];
        if (Bias is null) y.Fill(0f);
        else
            for (int i = 0; i < n; i++)
            {
                var row = y.Data.AsSpan(i * Out, Out);
                for (int o = 0; o < Out; o++) row[o] = Scales.BiasMultiplier * Bias.Value.Data[o];
            }
        Blas.Gemm(false, true, n, Out, In, Scales.WeightMultiplier, x.Data, In, Weight.Value.Data, In, 1f, y.Data, Out);
        return y;
    }

    // dy: (N, Out) -> dW += s_w dyᵀ x, db += s_b Σ_n dy; dx = s_w dy W: (N, In)
    public override Tensor? Backward(NodeState state, Tensor gradOutput, Gradients? gradients, bool inputGradient)
    {
        int n = gradOutput.Shape[0];
        if (gradients is not null)
        {
            CheckBatch(gradOutput, state);
            Blas.Gemm(true, false, Out, In, n, Scales.WeightMultiplier, gradOutput.Data, Out, state.Input.Data, In, 1f, gradients.Of(Weight).Data, In);
            if (Bias is not null)
            {
                var db = gradients.Of(Bias).Data;
                for (int i = 0; i < n; i++) TensorMath.Axpy(Scales.BiasMultiplier, gradOutput.Data.AsSpan(i * Out, Out), db);
            }
        }
        if (!inputGradient) return null;
        var dx = Tensor.Reuse(ref state.GradientBuffer, n, In);
        Blas.Gemm(false, false, n, In, Out, Scales.WeightMultiplier, gradOutput.Data, Out, Weight.Value.Data, In, 0f, dx.Data, In);
        return dx;
    }

    /// <inheritdoc/>
    public INtkBlock NtkBlock(NodeState state, NtkPlan plan) => new LinearNtkBlock(this, state.Input, plan.Samples);

    public override string Describe() => $"Linear({In} -> {Out}{(Bias is null ? ", no bias" : "")})";
}
