using NtkDynamics.Nn;
using NtkDynamics.Tensors;
using static NtkDynamics.Tests.PyTorch.TorchFixture;

namespace NtkDynamics.Tests.PyTorch;

/// <summary>Our forward and backward pass against PyTorch's (float64 references of the same float32 weights and inputs).</summary>
public class ForwardBackwardTests
{
    public static TheoryData<string> Models => TorchFixture.Models;

    [Theory]
    [MemberData(nameof(Models))]
    public void LogitsLossAndGradientsEqualPyTorchs(string prefix)
    {
        var model = Load(prefix);
        var io = Arrays($"{prefix}_io.safetensors");
        var x = Tensor(io["x"]);
        var logits = model.Forward(x);
        Close(io["logits"].ToDouble(), logits.Data, 1e-5, "logits");

        var grad = new Tensor(logits.Shape);
        double loss = Losses.CrossEntropy(logits, Labels(io["labels"]), grad);
        double expected = io["loss"].ToDouble()[0];
        Assert.True(Math.Abs(loss - expected) <= 1e-5 * Math.Abs(expected), $"loss {loss} vs {expected}");

        model.ZeroGrad();
        var dx = model.Backward(grad);
        var grads = Arrays($"{prefix}_grads.safetensors");
        Assert.Equal(grads.Keys.Order(), model.Parameters.Select(p => p.Name).Order());
        foreach (var p in model.Parameters) Close(grads[p.Name].ToDouble(), p.Grad.Data, 1e-4, $"d loss / d {p.Name}");
        Assert.Equal(io["x"].Shape, dx.Shape);
        Close(io["x_grad"].ToDouble(), dx.Data, 1e-4, "d loss / d x");
    }

    [Fact]
    public void StateDictRoundTripsThePyTorchWeights()
    {
        var model = Load("cnn_w4_s11");
        Assert.Equal("CNN(width 4, input [3, 11, 11], 10 classes)", model.Description);
        Assert.Equal([3, 11, 11], model.InputShape);
        var weights = Arrays("cnn_w4_s11_weights.safetensors");
        foreach (var (name, value) in model.StateDict())
        {
            Assert.Equal(weights[name].Shape, value.Shape);
            Assert.Equal(weights[name].ToFloat(), value.Data);
        }
    }

    [Fact]
    public void MseLossAndGradientEqualPyTorchs()
    {
        var model = Load("mlp");
        var io = Arrays("mlp_io.safetensors");
        var sgd = Arrays("mlp_sgd.safetensors");
        var logits = model.Forward(Tensor(io["x"]));
        var grad = new Tensor(logits.Shape);
        double loss = Losses.MeanSquaredError(logits, Tensor(sgd["target"]), grad);
        double expected = sgd["mse_loss"].ToDouble()[0];
        Assert.True(Math.Abs(loss - expected) <= 1e-5 * expected, $"mse {loss} vs {expected}");
        model.ZeroGrad();
        model.Backward(grad);
        foreach (var p in model.Parameters) Close(sgd[$"grad0.{p.Name}"].ToDouble(), p.Grad.Data, 1e-4, $"d mse / d {p.Name}");
    }

    [Fact]
    public void SgdWithMomentumAndWeightDecayFollowsPyTorchForThreeSteps()
    {
        var model = Load("mlp");
        var x = Tensor(Arrays("mlp_io.safetensors")["x"]);
        var sgd = Arrays("mlp_sgd.safetensors");
        var target = Tensor(sgd["target"]);
        var losses = sgd["mse_loss"].ToDouble();
        var initial = model.Parameters.ToDictionary(p => p.Name, p => Array.ConvertAll(p.Value.Data, v => (double)v));
        var opt = new Sgd(model.Parameters, 0.1, momentum: 0.9, weightDecay: 1e-3);
        for (int step = 1; step <= 3; step++)
        {
            var logits = model.Forward(x);
            var grad = new Tensor(logits.Shape);
            double loss = Losses.MeanSquaredError(logits, target, grad);
            Assert.True(Math.Abs(loss - losses[step - 1]) <= 1e-5 * losses[step - 1], $"step {step}: mse {loss} vs {losses[step - 1]}");
            model.ZeroGrad();
            model.Backward(grad);
            opt.Step();
            foreach (var p in model.Parameters)
            {
                double[] expected = sgd[$"step{step}.{p.Name}"].ToDouble(), w0 = initial[p.Name];
                Close(expected, p.Value.Data, 1e-5, $"{p.Name} after step {step}");
                // The displacement from the start, so a wrong update cannot hide below the weights' own size.
                Close(expected.Select((e, i) => e - w0[i]).ToArray(), p.Value.Data.Select((v, i) => v - w0[i]).ToArray(), 1e-4, $"{p.Name} moved after step {step}");
            }
        }
    }
}
