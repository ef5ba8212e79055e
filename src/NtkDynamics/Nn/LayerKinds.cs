using NtkDynamics.Nn.Layers;

namespace NtkDynamics.Nn;

/// <summary>A node as a graph file declares it: its name, layer kind, inputs and options, and optionally where in the file
/// ("line 7", named in its errors after the file).</summary>
public sealed record DeclaredNode(string Name, string Kind, IReadOnlyList<string> Inputs, IReadOnlyDictionary<string, object?> Options, string? Where = null);

/// <summary>
/// Layer kinds by the name a graph file gives them ("conv2d", "batchnorm2d", ...): each makes its layer from its options
/// and the shapes of its inputs (without the batch), so that channels and features are inferred (as PyTorch's lazy
/// modules). A new layer is one <see cref="Register"/> call (docs/graph-api.md).
/// </summary>
public static class LayerKinds
{
    /// <summary>Makes the layer of one node.</summary>
    public delegate Layer Factory(LayerOptions options, IReadOnlyList<int[]> inputShapes);

    private static readonly Dictionary<string, (Factory Make, string[] Options)> Kinds = new();

    static LayerKinds()
    {
        Register("conv2d", (o, s) => new Conv2d(Channels(o, s), o.Int("out", min: 1), Window(o, defaultStride: false), o.Bool("bias", true)),
            "out", "kernel", "stride", "padding", "bias");
        Register("linear", (o, s) => new Linear(Features(o, s), o.Int("out", min: 1), o.Bool("bias", true)), "out", "bias");
        Register("batchnorm2d", (o, s) => new BatchNorm(Channels(o, s), 2, o.Double("eps", BatchNorm.DefaultEpsilon), o.Double("momentum", BatchNorm.DefaultMomentum)), "eps", "momentum");
        Register("batchnorm1d", (o, s) => new BatchNorm(s[0].Length is 1 or 2 ? s[0][0] : throw o.Error("input", $"expected [C] or [C, L], got [{string.Join(", ", s[0])}]"), 1, o.Double("eps", BatchNorm.DefaultEpsilon), o.Double("momentum", BatchNorm.DefaultMomentum)), "eps", "momentum");
        Register("maxpool2d", (o, _) => new MaxPool2d(Window(o, defaultStride: true)), "kernel", "stride", "padding");
        Register("relu", (_, _) => new Relu());
        Register("add", (_, _) => new Add());
        Register("flatten", (_, _) => new Flatten());
        Register("global_avg_pool2d", (_, _) => new GlobalAvgPool2d());
        Register("avgpool2d", (o, _) => new AvgPool2d(Window(o, defaultStride: true), o.Bool("ceil_mode", false), o.Bool("count_include_pad", true)),
            "kernel", "stride", "padding", "ceil_mode", "count_include_pad");
        Register("layernorm", (o, s) => new LayerNorm(o.Ints("normalized_shape", min: 1) ?? s[0], o.Double("eps", Normalization.DefaultEpsilon), o.Bool("elementwise_affine", true)),
            "normalized_shape", "eps", "elementwise_affine");
        Register("groupnorm", (o, s) => new GroupNorm(o.Int("groups", min: 1), Channels(o, s), o.Double("eps", Normalization.DefaultEpsilon), o.Bool("affine", true)),
            "groups", "eps", "affine");
        Register("dropout", (o, _) => new Dropout(o.Double("p", Dropout.DefaultP)), "p");
        Register("identity", (_, _) => new Identity());
        Register("leakyrelu", (o, _) => new LeakyRelu(o.Double("negative_slope", LeakyRelu.DefaultSlope)), "negative_slope");
        Register("gelu", (_, _) => new Gelu());
        Register("tanh", (_, _) => new Tanh());
        Register("erf", (_, _) => new Erf());
        Register("sigmoid", (_, _) => new Sigmoid());
        Register("softplus", (o, _) => new Softplus(o.Double("beta", Softplus.DefaultBeta), o.Double("threshold", Softplus.DefaultThreshold)), "beta", "threshold");
        Register("silu", (_, _) => new Silu());
    }

    /// <summary>Adds (or replaces) a kind; <paramref name="options"/> are the option names its factory reads.</summary>
    public static void Register(string kind, Factory make, params string[] options)
    {
        lock (Kinds) Kinds[kind] = (make, options);
    }

    /// <summary>The kinds known, sorted.</summary>
    public static IReadOnlyList<string> Names
    {
        get { lock (Kinds) return Kinds.Keys.Order().ToArray(); }
    }

    /// <summary>The layer of a node of kind <paramref name="kind"/>; unknown kinds and options are errors naming the node.</summary>
    public static Layer Create(string kind, LayerOptions options, IReadOnlyList<int[]> inputShapes)
    {
        (Factory Make, string[] Options) entry;
        lock (Kinds)
            if (!Kinds.TryGetValue(kind, out entry))
                throw options.Error("kind", $"'{kind}' is not a layer kind (expected one of {string.Join(", ", Kinds.Keys.Order())})");
        Layer layer;
        try
        {
            layer = entry.Make(options, inputShapes);
        }
        catch (ArgumentException e)
        {
            throw options.Error(e.Message);
        }
        options.CheckAllRead(entry.Options);
        return layer;
    }

    /// <summary>
    /// The model a graph file declares: its nodes (kind, inputs, options) in any order are sorted, and each layer is made
    /// from its options and its inputs' shapes, then checked as a <see cref="Model"/>. Errors name <paramref name="source"/>
    /// and the node.
    /// </summary>
    public static Model Build(string source, string description, int[] inputShape, IReadOnlyList<DeclaredNode> nodes, string output, Func<Model>? factory = null)
    {
        var shapes = new Dictionary<string, int[]> { [Model.InputName] = inputShape };
        var specs = new List<NodeSpec>();
        foreach (var n in Graph.Sort(source, nodes, n => n.Name, n => n.Inputs, output))
        {
            string at = n.Where is null ? source : $"{source}: {n.Where}";
            var layer = Create(n.Kind, new LayerOptions(at, n.Name, n.Kind, n.Options), n.Inputs.Select(i => shapes[i]).ToArray());
            var spec = new NodeSpec(n.Name, layer, n.Inputs);
            Graph.CheckArity(at, spec);
            shapes[n.Name] = Graph.Shape(at, n.Name, layer, n.Inputs.Select(i => shapes[i]));
            specs.Add(spec);
        }
        return new Model(description, inputShape, specs, output, factory);
    }

    // kernel (required), stride (1, or the kernel for a pool), padding (0): each an integer or [h, w].
    private static Window2d Window(LayerOptions o, bool defaultStride)
    {
        var k = o.Pair("kernel", min: 1);
        var st = o.Pair("stride", defaultStride ? k : (1, 1), 1);
        var p = o.Pair("padding", (0, 0), 0);
        return new Window2d(k.H, k.W, st.H, st.W, p.H, p.W);
    }

    // The channels of an (C, H, W) or (C, ...) input.
    private static int Channels(LayerOptions o, IReadOnlyList<int[]> s) =>
        s[0].Length >= 2 ? s[0][0] : throw o.Error("input", $"expected [C, H, W], got [{string.Join(", ", s[0])}]");

    // The features of a flat input.
    private static int Features(LayerOptions o, IReadOnlyList<int[]> s) =>
        s[0].Length == 1 ? s[0][0] : throw o.Error("input", $"expected features [F] (add a flatten node before), got [{string.Join(", ", s[0])}]");
}
