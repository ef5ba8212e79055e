using NtkDynamics.Tensors;

namespace NtkDynamics.Nn;

/// <summary>The checks and the topological order behind <see cref="Model"/>'s graph.</summary>
internal static class Graph
{
    /// <summary>
    /// The nodes in a topological order (the output last: every node leads to it) that keeps the given order wherever it can
    /// (Kahn's algorithm, always taking the first ready node in declaration order). One-line errors name the node: a
    /// duplicate or reserved name, an input that is no node, a cycle, a node that does not lead to the output.
    /// </summary>
    public static List<T> Sort<T>(string model, IReadOnlyList<T> nodes, Func<T, string> nameOf, Func<T, IReadOnlyList<string>> inputsOf, string output)
    {
        var byName = new Dictionary<string, T>();
        foreach (var n in nodes)
        {
            string name = nameOf(n);
            if (name.Length == 0 || name == Model.InputName || !byName.TryAdd(name, n))
                throw new InputException($"{model}: node name '{name}' is {(name.Length == 0 ? "empty" : name == Model.InputName ? "reserved for the graph's input" : "used twice")}");
        }
        foreach (var n in nodes)
            foreach (var i in inputsOf(n))
                if (i != Model.InputName && !byName.ContainsKey(i))
                    throw new InputException($"{model}: node '{nameOf(n)}' reads '{i}', which is not a node");
        if (!byName.ContainsKey(output)) throw new InputException($"{model}: the output '{output}' is not a node");

        var done = new HashSet<string> { Model.InputName };
        var order = new List<T>();
        var left = nodes.ToList();
        while (left.Count > 0)
        {
            int next = left.FindIndex(n => inputsOf(n).All(done.Contains));
            if (next < 0) throw new InputException($"{model}: the graph has a cycle through node '{Cycle(left, byName, nameOf, inputsOf)}'");
            done.Add(nameOf(left[next]));
            order.Add(left[next]);
            left.RemoveAt(next);
        }
        var reaches = new HashSet<string> { output };
        for (int i = order.Count - 1; i >= 0; i--)
            if (reaches.Contains(nameOf(order[i]))) reaches.UnionWith(inputsOf(order[i]));
        if (order.FirstOrDefault(n => !reaches.Contains(nameOf(n))) is { } dead)
            throw new InputException($"{model}: node '{nameOf(dead)}' does not lead to the output '{output}'");
        if (!reaches.Contains(Model.InputName)) throw new InputException($"{model}: the output '{output}' does not depend on the input");
        return order;
    }

    /// <summary>Throws naming the node when its layer takes another number of inputs.</summary>
    public static void CheckArity(string model, NodeSpec n)
    {
        int arity = n.Layer.Arity;
        if (arity == Layer.AnyArity ? n.Inputs.Count < 2 : n.Inputs.Count != arity)
            throw new InputException($"{model}: node '{n.Name}' ({n.Layer.Describe()}) takes {(arity == Layer.AnyArity ? "two or more inputs" : arity == 1 ? "one input" : $"{arity} inputs")}, got {n.Inputs.Count}");
    }

    // A node on a cycle among the nodes left (each has an input among them): follow such inputs until one repeats.
    private static string Cycle<T>(List<T> left, Dictionary<string, T> byName, Func<T, string> nameOf, Func<T, IReadOnlyList<string>> inputsOf)
    {
        var pending = left.Select(nameOf).ToHashSet();
        var seen = new HashSet<string>();
        var at = left[0];
        while (seen.Add(nameOf(at))) at = byName[inputsOf(at).First(pending.Contains)];
        return nameOf(at);
    }

    /// <summary>A node's output shape without the batch, from its inputs' (an error naming the node when they do not fit).</summary>
    public static int[] Shape(string model, string node, Layer layer, IEnumerable<int[]> inputShapes)
    {
        try
        {
            return layer.OutputShape(inputShapes.Select(s => (int[])[1, .. s]).ToArray())[1..];
        }
        catch (ArgumentException e)
        {
            throw new InputException($"{model}: node '{node}': {e.Message}");
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
