using NtkDynamics.Nn.Architectures;
using NtkDynamics.Tensors;

namespace NtkDynamics.Nn;

/// <summary>The architecture of one of our built-in networks: the paper's CNN, an MLP or the CIFAR ResNet-18.</summary>
public sealed record ModelSpec
{
    /// <summary>"cnn", "mlp" or "resnet18".</summary>
    public required string Kind { get; init; }

    /// <summary>Input shape without the batch: [C, H, W] (an MLP flattens it first).</summary>
    public required int[] InputShape { get; init; }

    public required int Classes { get; init; }

    /// <summary>CNN: channels of every convolution; ResNet-18: nf, the first stage's channels.</summary>
    public int Width { get; init; }

    /// <summary>MLP: hidden layer sizes.</summary>
    public int[] Hidden { get; init; } = [];

    /// <summary>The paper's CNN: 3 x [conv 3x3 pad 1 -> ReLU -> maxpool 2] with <paramref name="width"/> channels, then a linear layer.</summary>
    public static ModelSpec Cnn(int width, int inChannels, int imageSize, int classes) =>
        Check(new() { Kind = "cnn", Width = width, InputShape = [inChannels, imageSize, imageSize], Classes = classes });

    /// <summary>An MLP over the flattened input: inputs -> hidden[0] -> ... -> classes, ReLU between.</summary>
    public static ModelSpec Mlp(int[] inputShape, int[] hidden, int classes) =>
        Check(new() { Kind = "mlp", Hidden = hidden, InputShape = inputShape, Classes = classes });

    /// <summary>The CIFAR ResNet-18 with nf = <paramref name="width"/> (20: GEM's reduced one; 64: the standard width).</summary>
    public static ModelSpec ResNet18(int width, int inChannels, int imageSize, int classes) =>
        Check(new() { Kind = "resnet18", Width = width, InputShape = [inChannels, imageSize, imageSize], Classes = classes });

    private static ModelSpec Check(ModelSpec s)
    {
        if (s.Classes < 1) throw new InputException($"model: classes must be >= 1, got {s.Classes}");
        if (s.InputShape.Any(d => d < 1)) throw new InputException($"model: input shape {Tensor.Format(s.InputShape)} has a dimension < 1");
        if (s.Kind is "cnn" or "resnet18")
        {
            if (s.Width < 1) throw new InputException($"model.width: must be >= 1, got {s.Width}");
            if (s.InputShape.Length != 3) throw new InputException($"model: the {s.Kind} model needs [C, H, W] images, got {Tensor.Format(s.InputShape)}");
        }
        if (s.Kind == "cnn" && (PooledSize(s.InputShape[1]) < 1 || PooledSize(s.InputShape[2]) < 1))
            throw new InputException($"model: images of {s.InputShape[1]}x{s.InputShape[2]} are too small for three 2x2 poolings (need >= 8)");
        if (s.Hidden.Any(h => h < 1)) throw new InputException($"model.hidden: sizes must be >= 1, got [{string.Join(", ", s.Hidden)}]");
        return s;
    }

    /// <summary>Spatial size after the CNN's three floor-halvings.</summary>
    public static int PooledSize(int size) => PaperCnn.PooledSize(size);

    public string Describe() => Kind switch
    {
        "cnn" => $"CNN(width {Width}, input {Tensor.Format(InputShape)}, {Classes} classes)",
        "resnet18" => $"ResNet-18(nf {Width}, input {Tensor.Format(InputShape)}, {Classes} classes)",
        _ => $"MLP({Tensor.Count(InputShape)}-{string.Join("-", Hidden)}{(Hidden.Length > 0 ? "-" : "")}{Classes})",
    };

    /// <summary>
    /// Builds the network's graph and initialises it from <paramref name="seed"/> (node by node: weights then biases); its
    /// <see cref="Model.Copy"/> builds it again.
    /// </summary>
    public Model Build(Parametrisation parametrisation, ulong seed)
    {
        Model Again() => Build(parametrisation, seed);
        var model = Kind switch
        {
            "cnn" => PaperCnn.Build(Describe(), Width, InputShape, Classes, Again),
            "resnet18" => Architectures.ResNet18.Build(Describe(), Width, InputShape, Classes, Again),
            _ => Architectures.Mlp.Build(Describe(), InputShape, Hidden, Classes, Again),
        };
        return model.Initialise(parametrisation, seed);
    }

    /// <summary>
    /// The architecture a PyTorch state dict describes (names and shapes as ../shared/bench/cnn.py, or Mammoth's ResNet-18
    /// with layer1.0.conv1.weight). A CNN's image size is <paramref name="imageSize"/> or, when null, the first of 32, 28, 64,
    /// 16, 24 that fits fc's in-features; a ResNet-18 takes any size (32 when not given). The names are checked when loading.
    /// </summary>
    public static ModelSpec FromStateDict(IReadOnlyDictionary<string, int[]> shapes, string source, int? imageSize = null)
    {
        int[] Get(string name, int rank)
        {
            if (!shapes.TryGetValue(name, out var s)) throw new InputException($"{source}: missing parameter '{name}'");
            if (s.Length != rank) throw new InputException($"{source}: '{name}' has shape {Tensor.Format(s)}, expected rank {rank}");
            return s;
        }
        if (shapes.ContainsKey("layer1.0.conv1.weight"))
        {
            var stem = Get("conv1.weight", 4);
            return ResNet18(stem[0], stem[1], imageSize ?? 32, Get("classifier.weight", 2)[0]);
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
        throw new InputException($"{source}: none of layer1.0.conv1.weight (ResNet-18), conv1.weight (CNN), fc1.weight (MLP) is present");
    }
}
