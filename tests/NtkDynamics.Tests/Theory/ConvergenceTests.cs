using NtkDynamics.Theory;
using Xunit.Abstractions;

namespace NtkDynamics.Tests.Theory;

public class ConvergenceTests(ITestOutputHelper output)
{
    [Fact]
    public void LogLogFitRecoversAPowerLaw()
    {
        double[] xs = [3, 10, 40, 100];
        var fit = LogLogFit.Of(xs, xs.Select(x => 2.5 * Math.Pow(x, -0.7)).ToArray());
        // A float64 least-squares line through 4 points whose logs are within an ulp: about 40 roundings, amplified by the
        // fit's conditioning (the logs of x, 1.1 to 4.6, against their spread: about 4x for the slope, and the intercept and
        // the prediction at 7 carry the slope's error times log x again: 16x, 32x).
        Close.Roundings(-0.7, fit.Slope, 40, 4);
        Close.Roundings(2.5, fit.Prefactor, 40, 16);
        Close.Roundings(2.5 * Math.Pow(7, -0.7), fit.At(7), 40, 32);
    }

    [Fact]
    public void SpherePointsHaveSquaredNormD()
    {
        var x = InputSets.Sphere(5, 7, new Tensors.Rng(3));
        // each coordinate is rounded to float32 (within u32, its square 2u32); the float64 arithmetic adds 1e-16
        for (int i = 0; i < 5; i++) Close.Roundings(7, x.Skip(i * 7).Take(7).Sum(v => v * v), 2, u: Close.U32);
    }

    // The engine's float32 eNTK of an NTK-parametrised MLP against AnalyticNtk with the same σ_w, σ_b and depth: the
    // error of one draw is ~ 1/√width, so the mean over seeds falls with slope −1/2 on a log-log plot. One draw's error
    // varies by about ±35% between seeds, so 16 seeds per width and six widths keep the slope's spread near ±0.03
    // (seeds 1 to 4 and 7 gave slopes from −0.45 to −0.55).
    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void EmpiricalKernelApproachesTheAnalyticOneAsOneOverRootWidth(int depth)
    {
        var result = KernelConvergence.Run(new ConvergenceOptions
        {
            Depths = [depth], Widths = [64, 128, 256, 512, 1024, 2048], Seeds = 16, Points = 8, InputDim = 4, Seed = 2,
        });
        foreach (int w in result.Options.Widths) output.WriteLine($"width {w}: mean relative error {result.MeanError(depth, w):g4}");
        var fit = result.Fit(depth);
        output.WriteLine($"slope {fit.Slope:F3}");
        Assert.InRange(fit.Slope, -0.6, -0.4);
        Assert.InRange(result.MeanError(depth, 2048), 0.01, 0.15);
    }
}
