using NtkDynamics.Nn.Layers;
using NtkDynamics.Tensors;

namespace NtkDynamics.Nn.Architectures;

/// <summary>
/// The paper's CNN (../shared/bench/cnn.py): 3 x [conv 3x3 pad 1 -> ReLU -> maxpool 2] with <c>width</c> channels, then a
/// linear layer on the NCHW-flattened features. Nodes conv1, relu1, pool1, ..., pool3, flatten, fc; parameters conv1..3, fc.
/// </summary>
public static class PaperCnn
{
    /// <summary>Spatial size after the three floor-halvings.</summary>
    public static int PooledSize(int size) => size / 2 / 2 / 2;

    public static Model Build(string description, int width, int[] inputShape, int classes, Func<Model>? factory = null)
    {
        var g = new GraphBuilder(description, inputShape);
        string x = g.Input;
        for (int i = 1; i <= 3; i++)
        {
            x = g.Add($"conv{i}", new Conv2d(i == 1 ? inputShape[0] : width, width, 3, 1), x);
            x = g.Add($"relu{i}", new Relu(), x);
            x = g.Add($"pool{i}", new MaxPool2d(2), x);
        }
        x = g.Add("flatten", new Flatten(), x);
        x = g.Add("fc", new Linear(width * PooledSize(inputShape[1]) * PooledSize(inputShape[2]), classes), x);
        return g.Build(x, factory);
    }
}

/// <summary>An MLP over the flattened input: inputs -> hidden[0] -> ... -> classes, ReLU between. Nodes flatten, fc1, relu1, ..., fcL.</summary>
public static class Mlp
{
    public static Model Build(string description, int[] inputShape, int[] hidden, int classes, Func<Model>? factory = null)
    {
        var g = new GraphBuilder(description, inputShape);
        string x = g.Add("flatten", new Flatten(), g.Input);
        int[] dims = [Tensor.Count(inputShape), .. hidden, classes];
        for (int i = 0; i + 1 < dims.Length; i++)
        {
            x = g.Add($"fc{i + 1}", new Linear(dims[i], dims[i + 1]), x);
            if (i + 2 < dims.Length) x = g.Add($"relu{i + 1}", new Relu(), x);
        }
        return g.Build(x, factory);
    }
}
