using NtkDynamics.Formats;
using NtkDynamics.Nn;
using NtkDynamics.Nn.Layers;
using NtkDynamics.Tensors;
using static NtkDynamics.Tests.Nn.LayerGradientTests;
using static NtkDynamics.Tests.PyTorch.TorchFixture;

namespace NtkDynamics.Tests.PyTorch;

/// <summary>
/// Each zoo layer alone against PyTorch's module on the same float32 inputs (Fixtures/zoo/layers.safetensors, float64
/// references): outputs, and the gradients of Σ r ⊙ y for the input and the parameters.
/// </summary>
public class ZooLayerTests
{
    private static IReadOnlyDictionary<string, NdArray> Fixture => Arrays("zoo/layers.safetensors");

    /// <summary>The fixture's activations (make_zoo_fixtures.py's ACTIVATIONS) as our layers.</summary>
    public static TheoryData<string> ActivationNames => ["relu", "leakyrelu", "leakyrelu_0.2", "gelu", "tanh", "erf", "sigmoid", "softplus", "softplus_2_3", "silu"];

    private static Layer Activation(string name) => name switch
    {
        "relu" => new Relu(),
        "leakyrelu" => new LeakyRelu(),
        "leakyrelu_0.2" => new LeakyRelu(0.2),
        "gelu" => new Gelu(),
        "tanh" => new Tanh(),
        "erf" => new Erf(),
        "sigmoid" => new Sigmoid(),
        "softplus" => new Softplus(),
        "softplus_2_3" => new Softplus(2, 3),
        _ => new Silu(),
    };

    // Inputs over [-30, 30] (saturation, softplus's threshold), tiny values and N(0, 9). y is rounded to float32 (2^-24
    // relative; 1e-7 absolute allows a few ulp of values near 1, e.g. sigmoid(30) = 1 - 9e-14). A derivative evaluated on
    // that rounded y (tanh's 1 - y², sigmoid's y(1 - y), PyTorch's own formulas) is off by a few ulp of 1 times |r|.
    [Theory]
    [MemberData(nameof(ActivationNames))]
    public void ActivationsEqualPyTorchs(string name)
    {
        var f = Fixture;
        var x = Tensor(f["act.x"]);
        var layer = Activation(name);
        var (state, y) = Run(layer, Mode.Train, x);
        var r = Tensor(f[$"{name}.r"]);
        var dx = layer.Backward(state, r, null)[0]!;
        double[] yRef = f[$"{name}.y"].ToDouble(), dxRef = f[$"{name}.dx"].ToDouble();
        for (int i = 0; i < x.Length; i++)
        {
            Close.Relative(yRef[i], y.Data[i], 4 * Close.U32, 1e-7, $"{name}({x.Data[i]})");
            Close.Relative(dxRef[i], dx.Data[i], 4 * Close.U32, 8 * Close.U32 * Math.Abs(r.Data[i]), $"{name}'({x.Data[i]})");
        }
    }

    [Fact]
    public void AvgPoolEqualsPyTorchsInEveryConfiguration()
    {
        var f = Fixture;
        var x = Tensor(f["avgpool.x"]);
        int configs = f.Keys.Count(k => k.EndsWith(".config"));
        Assert.Equal(7, configs);
        for (int i = 0; i < configs; i++)
        {
            var c = f[$"avgpool{i}.config"].ToInt64();
            var pool = new AvgPool2d(new Window2d((int)c[0], (int)c[1], (int)c[2], (int)c[3], (int)c[4], (int)c[5]), c[6] != 0, c[7] != 0);
            var (state, y) = Run(pool, Mode.Eval, x);
            Assert.Equal(f[$"avgpool{i}.y"].Shape, y.Shape);
            Close(f[$"avgpool{i}.y"].ToDouble(), y.Data, 1e-6, $"{pool.Describe()} y");
            Close(f[$"avgpool{i}.dx"].ToDouble(), pool.Backward(state, Tensor(f[$"avgpool{i}.r"]), null)[0]!.Data, 1e-6, $"{pool.Describe()} dx");
        }
    }

    public static TheoryData<string> NormNames =>
        ["layernorm_6x3x2", "layernorm_3x2", "layernorm_2", "layernorm_plain", "groupnorm_1", "groupnorm_2", "groupnorm_3", "groupnorm_6", "groupnorm_plain"];

    private static Normalization Norm(string name) => name switch
    {
        "layernorm_6x3x2" => new LayerNorm([6, 3, 2]),
        "layernorm_3x2" => new LayerNorm([3, 2]),
        "layernorm_2" => new LayerNorm([2], 1e-3),
        "layernorm_plain" => new LayerNorm([6, 3, 2], affine: false),
        "groupnorm_1" => new GroupNorm(1, 6),
        "groupnorm_2" => new GroupNorm(2, 6),
        "groupnorm_3" => new GroupNorm(3, 6, 1e-3),
        "groupnorm_6" => new GroupNorm(6, 6),
        _ => new GroupNorm(3, 6, affine: false),
    };

    // Input [4, 6, 3, 2], random γ and β; training and evaluation mode compute alike (each sample's own statistics).
    [Theory]
    [MemberData(nameof(NormNames))]
    public void LayerNormAndGroupNormEqualPyTorchs(string name)
    {
        var f = Fixture;
        var layer = Norm(name);
        Assert.Equal(!name.EndsWith("plain"), f.ContainsKey($"{name}.weight"));
        foreach (var p in layer.Parameters)
        {
            Assert.Equal(f[$"{name}.{p.Name}"].Shape, p.Value.Shape);
            f[$"{name}.{p.Name}"].ToFloat().CopyTo(p.Value.Data, 0);
            p.Grad.Fill(0);
        }
        foreach (var mode in new[] { Mode.Train, Mode.Eval })
        {
            var (state, y) = Run(layer, mode, Tensor(f["norm.x"]));
            Close(f[$"{name}.y"].ToDouble(), y.Data, 1e-6, $"{name} {mode} y");
            foreach (var p in layer.Parameters) p.Grad.Fill(0);
            var dx = layer.Backward(state, Tensor(f[$"{name}.r"]), Gradients.Own)[0]!;
            Close(f[$"{name}.dx"].ToDouble(), dx.Data, 1e-5, $"{name} {mode} dx");
            foreach (var p in layer.Parameters) Close(f[$"{name}.d{p.Name}"].ToDouble(), p.Grad.Data, 1e-6, $"{name} {mode} d{p.Name}");
        }
    }
}
