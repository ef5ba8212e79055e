using NtkDynamics.Tensors;

namespace NtkDynamics.Nn;

/// <summary>
/// A network as a graph of named layers: nodes in topological order from the graph's input (node 0, <see cref="InputName"/>)
/// to one output of logits (N, classes). Forward runs the nodes in order; backward is exact, adding up the gradients where a
/// value feeds several nodes. Parameters and buffers carry PyTorch's state-dict names of the same torch module
/// ("conv1.weight", "layer1.0.bn1.running_mean"). <see cref="Forward(Tensor)"/> and <see cref="Backward"/> run the model's own
/// <see cref="Pass"/> in <see cref="Mode"/>; the eNTK and other readers make their own passes (<see cref="NewPass"/>).
/// </summary>
public sealed class Model
{
    /// <summary>The name of the graph's input node.</summary>
    public const string InputName = "input";

    private readonly Func<Model>? _factory;
    private readonly Dictionary<string, Node> _byName;
    private Pass? _pass;

    /// <summary>"CNN(width 64, input [3, 32, 32], 10 classes)".</summary>
    public string Description { get; }

    /// <summary>The nodes in topological order; <c>Nodes[0]</c> is the input, the last is the output.</summary>
    public IReadOnlyList<Node> Nodes { get; }

    public Node Output => Nodes[^1];

    /// <summary>The input shape without the batch: [C, H, W] for images.</summary>
    public int[] InputShape => Nodes[0].OutputShape;

    /// <summary>Logits per sample.</summary>
    public int Classes => Output.OutputShape[0];

    /// <summary>Every parameter, node by node in topological order (the initialisation order).</summary>
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>Every buffer, node by node.</summary>
    public IReadOnlyList<BufferTensor> Buffers { get; }

    /// <summary>The parametrisation of the last <see cref="Initialise"/> (standard until then).</summary>
    public Parametrisation Parametrisation { get; private set; } = new StandardParametrisation(StandardInit.PyTorchDefault);

    /// <summary>How <see cref="Forward(Tensor)"/> computes (PyTorch's model.train() / model.eval()); training by default.</summary>
    public Mode Mode { get; set; } = Mode.Train;

    /// <summary>
    /// Builds and checks the graph: unique names, inputs that exist, no cycle, every node on a path to
    /// <paramref name="output"/>, shapes that meet. Errors are one-line <see cref="InputException"/>s naming the node.
    /// Nodes are kept in the given order where it is topological. <paramref name="factory"/> rebuilds the same
    /// architecture (for <see cref="Copy"/>).
    /// </summary>
    public Model(string description, int[] inputShape, IReadOnlyList<NodeSpec> nodes, string output, Func<Model>? factory = null)
    {
        Description = description;
        _factory = factory;
        foreach (var n in nodes) Graph.CheckArity(description, n);
        var order = Graph.Sort(description, nodes, n => n.Name, n => n.Inputs, output);
        var built = new List<Node> { new(InputName, new GraphInput(inputShape), 0) };
        _byName = new() { [InputName] = built[0] };
        foreach (var spec in order)
        {
            var node = new Node(spec.Name, spec.Layer, built.Count) { Inputs = spec.Inputs.Select(i => _byName[i]).ToArray() };
            spec.Layer.Name = spec.Name;
            built.Add(node);
            _byName[spec.Name] = node;
        }
        var consumers = built.ToDictionary(n => n, _ => new List<Node>());
        foreach (var node in built)
        {
            foreach (var input in node.Inputs) consumers[input].Add(node);
            node.OutputShape = Graph.Shape(description, node.Name, node.Layer, node.Inputs.Select(i => i.OutputShape));
        }
        foreach (var node in built) node.Consumers = consumers[node];
        Nodes = built;
        if (Output.OutputShape.Length != 1)
            throw new InputException($"{description}: the output node '{output}' gives {Tensor.Format([-1, .. Output.OutputShape])}, expected logits [N, classes]");
        foreach (var node in built)
        {
            foreach (var p in node.Layer.Parameters) if (!p.Name.Contains('.')) p.Name = $"{node.Name}.{p.Name}";
            foreach (var b in node.Layer.Buffers) if (!b.Name.Contains('.')) b.Name = $"{node.Name}.{b.Name}";
        }
        Parameters = built.SelectMany(n => n.Layer.Parameters).ToArray();
        Buffers = built.SelectMany(n => n.Layer.Buffers).ToArray();
        var seen = new HashSet<string>();
        foreach (var name in Parameters.Select(p => p.Name).Concat(Buffers.Select(b => b.Name)))
            if (!seen.Add(name)) throw new InputException($"{description}: two state-dict tensors are named '{name}'");
    }

    public long ParameterCount => Parameters.Sum(p => (long)p.Value.Length);

    /// <summary>The node called <paramref name="name"/>.</summary>
    public Node this[string name] => _byName.TryGetValue(name, out var n) ? n : throw new ArgumentException($"{Description}: no node '{name}'");

    /// <summary>The nodes with parameters, in topological order.</summary>
    public IEnumerable<Node> ParameterNodes => Nodes.Where(n => n.HasParameters);

    /// <summary>
    /// Sets every layer's multipliers and draws its initial values from one generator seeded with <paramref name="seed"/>, node
    /// by node in topological order (each layer: weights, then biases); the last layer with parameters is the output layer.
    /// </summary>
    public Model Initialise(Parametrisation parametrisation, ulong seed)
    {
        Parametrisation = parametrisation;
        var rng = new Rng(seed);
        var last = ParameterNodes.LastOrDefault();
        foreach (var node in Nodes) node.Layer.Initialise(parametrisation, node == last, rng);
        return this;
    }

    /// <summary>A new forward pass over this model: its own activations and buffers.</summary>
    public Pass NewPass(Mode mode) => new(this, mode);

    /// <summary>The model's own pass, which <see cref="Forward(Tensor)"/> and <see cref="Backward"/> run.</summary>
    public Pass Pass => _pass ??= NewPass(Mode);

    /// <summary>x: (N, ...input shape) -> logits (N, classes), in <see cref="Mode"/>.</summary>
    public Tensor Forward(Tensor x)
    {
        Pass.Mode = Mode;
        return Pass.Forward(x);
    }

    /// <summary>Back-propagates d(loss)/d(logits) of the last <see cref="Forward(Tensor)"/>; adds into parameter gradients when
    /// <paramref name="accumulate"/>. Returns d/d(input).</summary>
    public Tensor Backward(Tensor gradLogits, bool accumulate = true) =>
        Pass.Backward(gradLogits, accumulate ? Gradients.Own : null, inputGradient: true)!;

    /// <summary>
    /// Back-propagates d(loss)/d(logits) into the parameter gradients only (training): nodes none of whose ancestors have
    /// parameters are skipped, and the first layers with parameters skip their input gradients.
    /// </summary>
    public void BackwardParameters(Tensor gradLogits) => Pass.Backward(gradLogits, Gradients.Own, inputGradient: false);

    public void ZeroGrad()
    {
        foreach (var p in Parameters) p.Grad.Fill(0f);
    }

    /// <summary>Parameter and buffer name -> value (shared memory, not copies), as PyTorch's state_dict().</summary>
    public IReadOnlyDictionary<string, Tensor> StateDict() =>
        Parameters.Select(p => (p.Name, p.Value)).Concat(Buffers.Select(b => (b.Name, b.Value))).ToDictionary(t => t.Name, t => t.Value);

    /// <summary>Copies values in; every parameter's and buffer's name and shape must match exactly (errors name <paramref name="source"/>).</summary>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> state, string source)
    {
        var mine = StateDict();
        var missing = mine.Keys.Where(n => !state.ContainsKey(n)).ToList();
        var extra = state.Keys.Where(k => !mine.ContainsKey(k)).ToList();
        if (missing.Count > 0 || extra.Count > 0)
            throw new InputException($"{source}: tensor names do not match {Description}" +
                (missing.Count > 0 ? $"; missing {string.Join(", ", missing)}" : "") +
                (extra.Count > 0 ? $"; unexpected {string.Join(", ", extra)}" : ""));
        foreach (var (name, value) in mine)
            if (!state[name].ShapeEquals(value.Shape))
                throw new InputException($"{source}: '{name}' has shape {Tensor.Format(state[name].Shape)}, {Description} expects {Tensor.Format(value.Shape)}");
        foreach (var (name, value) in mine) state[name].Data.CopyTo(value.Data, 0);
    }

    /// <summary>
    /// The generators' states of the layers that draw random numbers (<see cref="IRandomLayer"/>: Dropout), by node name:
    /// besides the state dict, what a checkpoint needs for a resumed run to draw as the uninterrupted one (copies).
    /// </summary>
    public IReadOnlyDictionary<string, ulong[]> RandomState() =>
        Nodes.Where(n => n.Layer is IRandomLayer).ToDictionary(n => n.Name, n => ((IRandomLayer)n.Layer).RandomState);

    /// <summary>Sets the generators' states; the node names must be exactly this model's random layers (errors name <paramref name="source"/>).</summary>
    public void LoadRandomState(IReadOnlyDictionary<string, ulong[]> states, string source)
    {
        var mine = Nodes.Where(n => n.Layer is IRandomLayer).ToDictionary(n => n.Name, n => (IRandomLayer)n.Layer);
        var missing = mine.Keys.Where(n => !states.ContainsKey(n)).ToList();
        var extra = states.Keys.Where(k => !mine.ContainsKey(k)).ToList();
        if (missing.Count > 0 || extra.Count > 0)
            throw new InputException($"{source}: random states do not match {Description}" +
                (missing.Count > 0 ? $"; missing {string.Join(", ", missing)}" : "") + (extra.Count > 0 ? $"; unexpected {string.Join(", ", extra)}" : ""));
        foreach (var (name, state) in states)
        {
            if (state.Length != 4 || state.All(w => w == 0))
                throw new InputException($"{source}: the random state of '{name}' is not a generator's state (4 words, not all zero)");
            mine[name].RandomState = state;
        }
    }

    /// <summary>A new model of the same architecture (rebuilt by the factory, so with the same parametrisation) with copies of
    /// this one's parameters, buffers, random states and mode.</summary>
    public Model Copy()
    {
        var copy = (_factory ?? throw new InvalidOperationException($"{Description}: built without a factory, so it cannot be copied"))();
        copy.Mode = Mode;
        copy.LoadStateDict(StateDict(), Description);
        copy.LoadRandomState(RandomState(), Description);
        return copy;
    }

    public override string ToString() =>
        $"{Description}, {Parametrisation.Name} parametrisation, {ParameterCount:N0} parameters: " +
        string.Join(" -> ", Nodes.Skip(1).Select(n => n.Layer.Describe()));
}
