using NtkDynamics.Nn;
using NtkDynamics.Tensors;
using NtkDynamics.Theory;
using Xunit.Abstractions;

namespace NtkDynamics.Tests.Theory;

public class TrainingDynamicsTests(ITestOutputHelper output)
{
    // One step of rate η on PyTorch's mean MSE moves the outputs by −(2η/(n k)) Θ_0 (f_0 − y) to first order in η:
    // the mapping FullBatchGd.Linearised uses.
    [Fact]
    public void OneSmallStepMovesTheOutputsByTheKernelTimesTheResidual()
    {
        const int n = 6, m = 9, d = 5;
        var x = InputSets.Sphere(m, d, new Rng(1));
        var probe = InputSets.ToTensor(x, m, d);
        var y = Enumerable.Range(0, n).Select(i => Math.Sin(i)).ToArray();
        var model = Networks.Mlp(d, 2, 256, 1, new NtkParametrisation(), 2);
        var theta = Networks.Kernel(model, probe);
        const double lr = 1e-3;
        var real = FullBatchGd.Train(model, probe, n, y, lr, 1, [0, 1]);
        var gd = FullBatchGd.Linearised(new SpectralKernel(FullBatchGd.TrainBlock(theta, m, n), n), 1, lr);
        var predicted = FullBatchGd.Predict(gd, theta, m, real.Outputs[0], y, 1, 1);
        var moved = real.Outputs[1].Zip(real.Outputs[0], (a, b) => a - b).ToArray();
        var predictedMove = predicted.Zip(real.Outputs[0], (a, b) => a - b).ToArray();
        double error = TheoryTestData.RelativeRms(moved, predictedMove);
        output.WriteLine($"relative RMS of the first step against −hΘ_0(f_0 − y): {error:g3}");
        Assert.InRange(error, 0, 0.01);
    }

    // Real full-batch gradient descent against the closed form with Θ_∞ and with the network's own Θ_0: both
    // deviations shrink with the width (about as 1/√width).
    [Fact]
    public void WideNetworksFollowTheClosedFormKernelDynamicsMoreClosely()
    {
        var result = DynamicsExperiment.Run(new DynamicsOptions
        {
            Depth = 2, Widths = [128, 2048], Seeds = 1, Train = 16, Test = 8, InputDim = 8, Steps = 60, Records = 30, Seed = 3,
        });
        foreach (var run in result.Runs) output.WriteLine($"width {run.Width}: vs Θ_∞ {run.ErrorAnalytic:g4}, vs Θ_0 {run.ErrorLinearised:g4}");
        var (narrow, wide) = (result.Runs[0], result.Runs[1]);
        Assert.InRange(wide.ErrorAnalytic, 0, Math.Min(0.6 * narrow.ErrorAnalytic, 0.05));
        Assert.InRange(wide.ErrorLinearised, 0, Math.Min(0.6 * narrow.ErrorLinearised, 0.02));
        Assert.All(result.Runs, r => Assert.False(r.Real.Diverged));
    }
}
