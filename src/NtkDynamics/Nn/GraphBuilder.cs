namespace NtkDynamics.Nn;

/// <summary>Declares a model's graph node by node: <c>x = g.Add("conv1", new Conv2d(...), x)</c>, then <see cref="Build"/>.</summary>
public sealed class GraphBuilder(string description, int[] inputShape)
{
    private readonly List<NodeSpec> _nodes = [];

    /// <summary>The graph's input.</summary>
    public string Input => Model.InputName;

    /// <summary>Adds node <paramref name="name"/> reading <paramref name="inputs"/>; returns its name, to feed the next nodes.</summary>
    public string Add(string name, Layer layer, params string[] inputs)
    {
        _nodes.Add(new NodeSpec(name, layer, inputs));
        return name;
    }

    /// <summary>The model whose output is <paramref name="output"/> (checked: see <see cref="Model(string, int[], IReadOnlyList{NodeSpec}, string, Func{Model}?)"/>).</summary>
    public Model Build(string output, Func<Model>? factory = null) => new(description, inputShape, _nodes, output, factory);
}
