using NtkDynamics.Tensors;

namespace NtkDynamics.Nn;

/// <summary>The checks and the topological order behind <see cref="Model"/>'s graph.</summary>
internal static class Graph
{
    /// <summary>
    /// The nodes in a topological order (the output last: every node leads to it) that keeps the given order wherever it can (Kahn's algorithm, always taking the first
    /// ready node in declaration order). One-line errors name the node: a duplicate or reserved name, an input that is no
    /// node, a wrong number of inputs, a cycle, a node that does not reach the output.
    /// </summary>
    public static List<NodeSpec> Sort(string model, IReadOnlyList<NodeSpec> nodes, string output)
    {
        var byName = new Dictionary<string, NodeSpec>();
        foreach (var n in nodes)
        {
            if (n.Name.Length == 0 || n.Name == Model.InputName || !byName.TryAdd(n.Name, n))
                throw new InputException($"{model}: node name '{n.Name}' is {(n.Name.Length == 0 ? "empty" : n.Name == Model.InputName ? "reserved for the graph's input" : "used twice")}");
            int arity = n.Layer.Arity;
            if (arity == Layer.AnyArity ? n.Inputs.Count < 2 : n.Inputs.Count != arity)
                throw new InputException($"{model}: node '{n.Name}' ({n.Layer.Describe()}) takes {(arity == Layer.AnyArity ? "two or more inputs" : arity == 1 ? "one input" : $"{arity} inputs")}, got {n.Inputs.Count}");
        }
        foreach (var n in nodes)
            foreach (var i in n.Inputs)
                if (i != Model.InputName && !byName.ContainsKey(i))
                    throw new InputException($"{model}: node '{n.Name}' reads '{i}', which is not a node");
        if (!byName.ContainsKey(output)) throw new InputException($"{model}: the output '{output}' is not a node");

        var done = new HashSet<string> { Model.InputName };
        var order = new List<NodeSpec>();
        var left = nodes.ToList();
        while (left.Count > 0)
        {
            int next = left.FindIndex(n => n.Inputs.All(done.Contains));
            if (next < 0) throw new InputException($"{model}: the graph has a cycle through node '{Cycle(left, byName)}'");
            done.Add(left[next].Name);
            order.Add(left[next]);
            left.RemoveAt(next);
        }
        var reaches = new HashSet<string> { output };
        for (int i = order.Count - 1; i >= 0; i--)
            if (reaches.Contains(order[i].Name)) reaches.UnionWith(order[i].Inputs);
        if (order.FirstOrDefault(n => !reaches.Contains(n.Name)) is { } dead)
            throw new InputException($"{model}: node '{dead.Name}' does not lead to the output '{output}'");
        if (!reaches.Contains(Model.InputName)) throw new InputException($"{model}: the output '{output}' does not depend on the input");
        return order;
    }

    // A node on a cycle among the nodes left (each has an input among them): follow such inputs until one repeats.
    private static string Cycle(List<NodeSpec> left, Dictionary<string, NodeSpec> byName)
    {
        var pending = left.Select(n => n.Name).ToHashSet();
        var seen = new HashSet<string>();
        var at = left[0];
        while (seen.Add(at.Name)) at = byName[at.Inputs.First(pending.Contains)];
        return at.Name;
    }

    /// <summary>The node's output shape without the batch, from its inputs' (an error naming the node when they do not fit).</summary>
    public static int[] Shape(string model, Node node)
    {
        var inputs = node.Inputs.Select(i => (int[])[1, .. i.OutputShape]).ToArray();
        try
        {
            return node.Layer.OutputShape(inputs)[1..];
        }
        catch (ArgumentException e)
        {
            throw new InputException($"{model}: node '{node.Name}': {e.Message}");
        }
    }
}

/// <summary>The graph's input: the tensor the pass is given.</summary>
internal sealed class GraphInput(int[] shape) : Layer
{
    public override int Arity => 0;

    public override int[] OutputShape(IReadOnlyList<int[]> inputShapes) => [1, .. shape];

    public override Tensor Forward(NodeState state) => state.Input;

    public override Tensor?[] Backward(NodeState state, Tensor gradOutput, Gradients? gradients) => [];

    public override string Describe() => $"Input{Tensor.Format(shape)}";
}
