using NtkDynamics.Nn;

namespace NtkDynamics.Strategies;

/// <summary>A model's parameters (or their gradients) as one flat vector, in <see cref="Model.Parameters"/> order.</summary>
public static class ParameterVector
{
    public static float[] Values(Model model) => Gather(model, p => p.Value.Data);

    public static float[] Gradients(Model model) => Gather(model, p => p.Grad.Data);

    /// <summary>Writes <paramref name="v"/> into the parameters' gradients.</summary>
    public static void SetGradients(Model model, ReadOnlySpan<float> v)
    {
        int offset = 0;
        foreach (var p in model.Parameters)
        {
            v.Slice(offset, p.Grad.Length).CopyTo(p.Grad.Data);
            offset += p.Grad.Length;
        }
        if (offset != v.Length) throw new ArgumentException($"a vector of {v.Length} values for {offset} parameters");
    }

    private static float[] Gather(Model model, Func<Parameter, float[]> part)
    {
        var v = new float[model.ParameterCount];
        int offset = 0;
        foreach (var p in model.Parameters)
        {
            part(p).CopyTo(v, offset);
            offset += p.Value.Length;
        }
        return v;
    }
}
