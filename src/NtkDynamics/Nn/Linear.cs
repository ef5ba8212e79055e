using NtkDynamics.Tensors;

namespace NtkDynamics.Nn;

/// <summary>Fully connected layer: y = s_w x Wᵀ + s_b b, W [out, in] as PyTorch, multipliers from the parametrisation.</summary>
public sealed class Linear : Layer, INtkLayer
{
    public int In { get; }
    public int Out { get; }
    public Parameter Weight { get; }
    public Parameter Bias { get; }
    public LayerScales Scales { get; }
    private Tensor? _x, _y, _dx;

    public Linear(int inFeatures, int outFeatures, LayerScales scales)
    {
        In = inFeatures; Out = outFeatures; Scales = scales;
        Weight = new Parameter("weight", outFeatures, inFeatures) { LrScale = scales.LrScale };
        Bias = new Parameter("bias", outFeatures) { LrScale = scales.LrScale };
    }

    public override IReadOnlyList<Parameter> Parameters => [Weight, Bias];

    /// <summary>The input of the last forward pass (N, In).</summary>
    public Tensor Input => _x ?? throw new InvalidOperationException($"{Name}: no forward pass yet");

    public override int[] OutputShape(int[] s)
    {
        if (s.Length != 2 || s[1] != In) throw ShapeError($"[N, {In}]", s);
        return [s[0], Out];
    }

    // x: (N, In), W: (Out, In), b: (Out) -> y: (N, Out)
    public override Tensor Forward(Tensor x)
    {
        var os = OutputShape(x.Shape);
        _x = x;
        var y = Tensor.Reuse(ref _y, os);
        int n = os[0];
        for (int i = 0; i < n; i++)
        {
            var row = y.Data.AsSpan(i * Out, Out);
            for (int o = 0; o < Out; o++) row[o] = Scales.BiasMultiplier * Bias.Value.Data[o];
        }
        Blas.Gemm(false, true, n, Out, In, Scales.WeightMultiplier, x.Data, In, Weight.Value.Data, In, 1f, y.Data, Out);
        return y;
    }

    // dy: (N, Out) -> parameter gradients (below), dx = s_w dy W: (N, In)
    public override Tensor Backward(Tensor gradOutput, bool accumulate = true)
    {
        int n = gradOutput.Shape[0];
        if (accumulate && n != Input.Shape[0])
            throw new ArgumentException($"{Describe()} '{Name}': parameter gradients need the forward batch {Input.Shape[0]}, got {n}");
        if (accumulate) BackwardParameters(gradOutput);
        var dx = Tensor.Reuse(ref _dx, n, In);
        Blas.Gemm(false, false, n, In, Out, Scales.WeightMultiplier, gradOutput.Data, Out, Weight.Value.Data, In, 0f, dx.Data, In);
        return dx;
    }

    // dW += s_w dyᵀ x, db += s_b Σ_n dy
    public override void BackwardParameters(Tensor gradOutput)
    {
        int n = gradOutput.Shape[0];
        Blas.Gemm(true, false, Out, In, n, Scales.WeightMultiplier, gradOutput.Data, Out, Input.Data, In, 1f, Weight.Grad.Data, In);
        var db = Bias.Grad.Data;
        for (int i = 0; i < n; i++)
            TensorMath.Axpy(Scales.BiasMultiplier, gradOutput.Data.AsSpan(i * Out, Out), db);
    }

    /// <inheritdoc/>
    public INtkBlock NtkBlock(NtkPlan plan) => new LinearNtkBlock(this, plan.Samples);

    public override string Describe() => $"Linear({In} -> {Out})";
}
