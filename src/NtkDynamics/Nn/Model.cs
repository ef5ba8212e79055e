using NtkDynamics.Tensors;

namespace NtkDynamics.Nn;

/// <summary>
/// A sequential network built from a <see cref="ModelSpec"/>: forward, exact backward, parameters named as PyTorch's
/// state dict of the same model (conv1.weight, ..., fc.weight; MLP fc1..fcL).
/// </summary>
public sealed class Model
{
    public ModelSpec Spec { get; }
    public Parametrisation Parametrisation { get; }
    public IReadOnlyList<Layer> Layers { get; }
    public IReadOnlyList<Parameter> Parameters { get; }

    public Model(ModelSpec spec, Parametrisation parametrisation, IReadOnlyList<Layer> layers)
    {
        Spec = spec; Parametrisation = parametrisation; Layers = layers;
        foreach (var layer in layers)
            foreach (var p in layer.Parameters)
                if (!p.Name.Contains('.')) p.Name = $"{layer.Name}.{p.Name}";
        Parameters = layers.SelectMany(l => l.Parameters).ToArray();
    }

    public long ParameterCount => Parameters.Sum(p => (long)p.Value.Length);

    /// <summary>x: (N, ...input shape) -> logits (N, classes).</summary>
    public Tensor Forward(Tensor x)
    {
        int[] want = [x.Shape[0], .. Spec.InputShape];
        if (!x.ShapeEquals(want))
            throw new ArgumentException($"{Spec.Describe()}: expected input {Tensor.Format(want)}, got {Tensor.Format(x.Shape)}");
        foreach (var layer in Layers) x = layer.Forward(x);
        return x;
    }

    /// <summary>Back-propagates d(loss)/d(logits); adds into parameter gradients when <paramref name="accumulate"/>. Returns d/d(input).</summary>
    public Tensor Backward(Tensor gradLogits, bool accumulate = true)
    {
        for (int i = Layers.Count - 1; i >= 0; i--) gradLogits = Layers[i].Backward(gradLogits, accumulate);
        return gradLogits;
    }

    /// <summary>
    /// Back-propagates d(loss)/d(logits) into the parameter gradients only (training): it stops at the first layer with
    /// parameters, which skips its input gradient.
    /// </summary>
    public void BackwardParameters(Tensor gradLogits)
    {
        int first = 0;
        while (Layers[first].Parameters.Count == 0) first++;
        for (int i = Layers.Count - 1; i > first; i--) gradLogits = Layers[i].Backward(gradLogits);
        Layers[first].BackwardParameters(gradLogits);
    }

    public void ZeroGrad()
    {
        foreach (var p in Parameters) p.Grad.Fill(0f);
    }

    /// <summary>Parameter name -> value (shared memory, not copies).</summary>
    public IReadOnlyDictionary<string, Tensor> StateDict() => Parameters.ToDictionary(p => p.Name, p => p.Value);

    /// <summary>Copies values in; every name and shape must match exactly (errors name <paramref name="source"/>).</summary>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> state, string source)
    {
        var missing = Parameters.Select(p => p.Name).Where(n => !state.ContainsKey(n)).ToList();
        var extra = state.Keys.Where(k => Parameters.All(p => p.Name != k)).ToList();
        if (missing.Count > 0 || extra.Count > 0)
            throw new InputException($"{source}: parameter names do not match {Spec.Describe()}" +
                (missing.Count > 0 ? $"; missing {string.Join(", ", missing)}" : "") +
                (extra.Count > 0 ? $"; unexpected {string.Join(", ", extra)}" : ""));
        foreach (var p in Parameters)
        {
            var t = state[p.Name];
            if (!t.ShapeEquals(p.Value.Shape))
                throw new InputException($"{source}: '{p.Name}' has shape {Tensor.Format(t.Shape)}, {Spec.Describe()} expects {Tensor.Format(p.Value.Shape)}");
            t.Data.CopyTo(p.Value.Data, 0);
        }
    }

    public override string ToString() =>
        $"{Spec.Describe()}, {Parametrisation.Name} parametrisation, {ParameterCount:N0} parameters: " +
        string.Join(" -> ", Layers.Select(l => l.Describe()));
}
