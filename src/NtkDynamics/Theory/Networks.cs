using NtkDynamics.Nn;
using NtkDynamics.Ntk;
using NtkDynamics.Ntk.Metrics;
using NtkDynamics.Tensors;

namespace NtkDynamics.Theory;

/// <summary>The engine's networks as the theory experiments use them.</summary>
public static class Networks
{
    /// <summary>An MLP over inputs of dimension <paramref name="inputDim"/> with <paramref name="depth"/> hidden layers of <paramref name="width"/> units.</summary>
    public static Model Mlp(int inputDim, int depth, int width, int outputs, Nn.Parametrisation parametrisation, ulong seed) =>
        ModelSpec.Mlp([inputDim], Enumerable.Repeat(width, depth).ToArray(), outputs).Build(parametrisation, seed);

    /// <summary>
    /// The empirical NTK of a one-output model on <paramref name="probe"/> (n, ...input): (n, n), float64, made exactly
    /// symmetric ((K + Kᵀ)/2: float32 Grams are symmetric only to rounding).
    /// </summary>
    public static double[] Kernel(Model model, Tensor probe)
    {
        if (model.Classes != 1) throw new ArgumentException($"{model.Description}: the theory experiments use one-output models");
        return Kernels.Symmetrised(EmpiricalNtk.Compute(model, probe, new NtkOptions(NtkKind.Logit)).Values, "empirical NTK");
    }
}
