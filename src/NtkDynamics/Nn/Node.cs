namespace NtkDynamics.Nn;

/// <summary>A node of a model's graph as declared: a name, its layer and the names of the nodes it takes as inputs.</summary>
/// <param name="Name">Unique; PyTorch's module path for a layer with parameters or buffers ("layer1.0.conv1").</param>
/// <param name="Layer">The layer (a fresh instance per node).</param>
/// <param name="Inputs">The nodes whose outputs are its inputs, in order; <see cref="Model.InputName"/> is the graph's input.</param>
public sealed record NodeSpec(string Name, Layer Layer, IReadOnlyList<string> Inputs);

/// <summary>A node of a built graph: its layer, its inputs and consumers, its position in topological order and its output shape.</summary>
public sealed class Node
{
    public string Name { get; }
    public Layer Layer { get; }

    /// <summary>Position in the model's topological order (the graph's input is 0).</summary>
    public int Index { get; }

    /// <summary>The nodes it reads, in order.</summary>
    public IReadOnlyList<Node> Inputs { get; internal set; } = [];

    /// <summary>The nodes that read it (one entry per input slot that reads it).</summary>
    public IReadOnlyList<Node> Consumers { get; internal set; } = [];

    /// <summary>Its output's shape without the batch dimension.</summary>
    public int[] OutputShape { get; internal set; } = [];

    /// <summary>Whether its layer has parameters.</summary>
    public bool HasParameters => Layer.Parameters.Count > 0;

    internal Node(string name, Layer layer, int index)
    {
        Name = name; Layer = layer; Index = index;
    }

    public override string ToString() => $"{Name}: {Layer.Describe()}";
}
