using NtkDynamics.Nn.Layers;

namespace NtkDynamics.Nn.Architectures;

/// <summary>
/// The CIFAR ResNet-18 of continual learning (GEM's reduced ResNet-18 at nf = 20, Mammoth's backbone/ResNetBlock.py): a 3x3
/// stem (stride 1, no bias) with BatchNorm and ReLU and no stem pooling, four stages of two basic blocks with nf·[1, 2, 4, 8]
/// channels (stride 2 from the second stage), 1x1 conv + BatchNorm shortcuts where the shape changes, global average pooling
/// and a linear head. Names are Mammoth's: conv1, bn1, layer1.0.conv1, layer1.0.bn1, layer1.0.conv2, layer1.0.bn2,
/// layer2.0.shortcut.0 (conv), layer2.0.shortcut.1 (bn), ..., classifier (torchvision calls them downsample and fc).
/// A block: relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)).
/// </summary>
public static class ResNet18
{
    public static Model Build(string description, int nf, int[] inputShape, int classes, Func<Model>? factory = null)
    {
        var g = new GraphBuilder(description, inputShape);
        string x = g.Add("conv1", new Conv2d(inputShape[0], nf, 3, 1, bias: false), g.Input);
        x = g.Add("bn1", new BatchNorm(nf), x);
        x = g.Add("relu", new Relu(), x);
        int channels = nf;
        for (int stage = 1; stage <= 4; stage++)
        {
            int width = nf << (stage - 1);
            for (int b = 0; b < 2; b++)
            {
                int stride = stage > 1 && b == 0 ? 2 : 1;
                x = BasicBlock(g, $"layer{stage}.{b}", x, channels, width, stride);
                channels = width;
            }
        }
        x = g.Add("pool", new GlobalAvgPool2d(), x);
        x = g.Add("classifier", new Linear(channels, classes), x);
        return g.Build(x, factory);
    }

    private static string BasicBlock(GraphBuilder g, string name, string x, int inChannels, int width, int stride)
    {
        string y = g.Add($"{name}.conv1", new Conv2d(inChannels, width, 3, 1, stride, bias: false), x);
        y = g.Add($"{name}.bn1", new BatchNorm(width), y);
        y = g.Add($"{name}.relu1", new Relu(), y);
        y = g.Add($"{name}.conv2", new Conv2d(width, width, 3, 1, bias: false), y);
        y = g.Add($"{name}.bn2", new BatchNorm(width), y);
        string shortcut = x;
        if (stride != 1 || inChannels != width)
        {
            shortcut = g.Add($"{name}.shortcut.0", new Conv2d(inChannels, width, 1, 0, stride, bias: false), x);
            shortcut = g.Add($"{name}.shortcut.1", new BatchNorm(width), shortcut);
        }
        y = g.Add($"{name}.add", new Add(), y, shortcut);
        return g.Add($"{name}.relu2", new Relu(), y);
    }
}
