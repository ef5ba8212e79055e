using NtkDynamics.Tensors;

namespace NtkDynamics.Nn;

/// <summary>The architecture of one of our networks: the paper's CNN or an MLP.</summary>
public sealed record ModelSpec
{
    /// <summary>"cnn" or "mlp".</summary>
    public required string Kind { get; init; }

    /// <summary>Input shape without the batch: [C, H, W] (an MLP flattens it first).</summary>
    public required int[] InputShape { get; init; }

    public required int Classes { get; init; }

    /// <summary>CNN: channels of every convolution.</summary>
    public int Width { get; init; }

    /// <summary>MLP: hidden layer sizes.</summary>
    public int[] Hidden { get; init; } = [];

    /// <summary>The paper's CNN: 3 x [conv 3x3 pad 1 -> ReLU -> maxpool 2] with <paramref name="width"/> channels, then a linear layer.</summary>
    public static ModelSpec Cnn(int width, int inChannels, int imageSize, int classes) =>
        Check(new() { Kind = "cnn", Width = width, InputShape = [inChannels, imageSize, imageSize], Classes = classes });

    /// <summary>An MLP over the flattened input: inputs -> hidden[0] -> ... -> classes, ReLU between.</summary>
    public static ModelSpec Mlp(int[] inputShape, int[] hidden, int classes) =>
        Check(new() { Kind = "mlp", Hidden = hidden, InputShape = inputShape, Classes = classes });

    private static ModelSpec Check(ModelSpec s)
    {
        if (s.Classes < 1) throw new InputException($"model: classes must be >= 1, got {s.Classes}");
        if (s.InputShape.Any(d => d < 1)) throw new InputException($"model: input shape {Tensor.Format(s.InputShape)} has a dimension < 1");
        if (s.Kind == "cnn")
        {
            if (s.Width < 1) throw new InputException($"model.width: must be >= 1, got {s.Width}");
            if (s.InputShape.Length != 3) throw new InputException($"model: the CNN needs [C, H, W] images, got {Tensor.Format(s.InputShape)}");
            if (PooledSize(s.InputShape[1]) < 1 || PooledSize(s.InputShape[2]) < 1)
                throw new InputException($"model: images of {s.InputShape[1]}x{s.InputShape[2]} are too small for three 2x2 poolings (need >= 8)");
        }
        if (s.Hidden.Any(h => h < 1)) throw new InputException($"model.hidden: sizes must be >= 1, got [{string.Join(", ", s.Hidden)}]");
        return s;
    }

    /// <summary>Spatial size after the CNN's three floor-halvings.</summary>
    public static int PooledSize(int size) => size / 2 / 2 / 2;

    public string Describe() => Kind == "cnn"
        ? $"CNN(width {Width}, input {Tensor.Format(InputShape)}, {Classes} classes)"
        : $"MLP({Tensor.Count(InputShape)}-{string.Join("-", Hidden)}{(Hidden.Length > 0 ? "-" : "")}{Classes})";

    /// <summary>Builds the network and initialises it from <paramref name="seed"/> (weights then biases, layer by layer).</summary>
    public Model Build(Parametrisation parametrisation, ulong seed)
    {
        var rng = new Rng(seed);
        var layers = new List<Layer>();
        Layer Param(Layer layer, string name, int fanIn, bool isOutput)
        {
            layer.Name = name;
            var (w, b) = layer switch
            {
                Conv2d c => (c.Weight.Value, c.Bias.Value),
                Linear l => (l.Weight.Value, l.Bias.Value),
                _ => throw new InvalidOperationException(),
            };
            parametrisation.Initialise(w, b, fanIn, isOutput, rng);
            return layer;
        }
        if (Kind == "cnn")
        {
            int c = InputShape[0];
            for (int i = 1; i <= 3; i++)
            {
                int fanIn = (i == 1 ? c : Width) * 9;
                layers.Add(Param(new Conv2d(i == 1 ? c : Width, Width, 3, 1, parametrisation.Scales(fanIn, false)), $"conv{i}", fanIn, false));
                layers.Add(new Relu());
                layers.Add(new MaxPool2d());
            }
            layers.Add(new Flatten());
            int features = Width * PooledSize(InputShape[1]) * PooledSize(InputShape[2]);
            layers.Add(Param(new Linear(features, Classes, parametrisation.Scales(features, true)), "fc", features, true));
        }
        else
        {
            layers.Add(new Flatten());
            int[] dims = [Tensor.Count(InputShape), .. Hidden, Classes];
            for (int i = 0; i + 1 < dims.Length; i++)
            {
                bool output = i + 2 == dims.Length;
                layers.Add(Param(new Linear(dims[i], dims[i + 1], parametrisation.Scales(dims[i], output)), $"fc{i + 1}", dims[i], output));
                if (!output) layers.Add(new Relu());
            }
        }
        return new Model(this, parametrisation, layers);
    }

    /// <summary>
    /// The architecture a PyTorch state dict describes (names and shapes as ../shared/bench/cnn.py). A CNN's image size
    /// is <paramref name="imageSize"/> or, when null, the first of 32, 28, 64, 16, 24 that fits fc's in-features.
    /// </summary>
    public static ModelSpec FromStateDict(IReadOnlyDictionary<string, int[]> shapes, string source, int? imageSize = null)
    {
        int[] Get(string name, int rank)
        {
            if (!shapes.TryGetValue(name, out var s)) throw new InputException($"{source}: missing parameter '{name}'");
            if (s.Length != rank) throw new InputException($"{source}: '{name}' has shape {Tensor.Format(s)}, expected rank {rank}");
            return s;
        }
        if (shapes.ContainsKey("conv1.weight"))
        {
            var w1 = Get("conv1.weight", 4);
            var fc = Get("fc.weight", 2);
            int width = w1[0];
            int[] candidates = imageSize is int given ? [given] : [32, 28, 64, 16, 24];
            foreach (int size in candidates)
                if (width * PooledSize(size) * PooledSize(size) == fc[1]) return Cnn(width, w1[1], size, fc[0]);
            throw new InputException($"{source}: fc.weight has {fc[1]} inputs, which fits no image size for width {width} (tried {string.Join(", ", candidates)})");
        }
        if (shapes.ContainsKey("fc1.weight"))
        {
            var dims = new List<int> { Get("fc1.weight", 2)[1] };
            for (int l = 1; shapes.ContainsKey($"fc{l}.weight"); l++) dims.Add(Get($"fc{l}.weight", 2)[0]);
            return Mlp([dims[0]], dims.Skip(1).SkipLast(1).ToArray(), dims[^1]);
        }
        throw new InputException($"{source}: neither conv1.weight (CNN) nor fc1.weight (MLP) is present");
    }
}
