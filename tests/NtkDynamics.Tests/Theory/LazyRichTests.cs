using NtkDynamics.Nn;
using NtkDynamics.Tensors;
using NtkDynamics.Theory;
using Xunit.Abstractions;

namespace NtkDynamics.Tests.Theory;

public class LazyRichTests(ITestOutputHelper output)
{
    // One learning rate per parametrisation, set on the narrowest network (h·λmax = 0.7). NTK parametrisation: the kernel
    // moves by O(1/√width). Standard: λmax grows like the width, the fixed rate ends in the catapult regime (h·λmax > 2
    // at initialisation) and the kernel moves by O(1).
    [Fact]
    public void KernelChangeFallsWithWidthInNtkParametrisationAndStaysLargeInStandard()
    {
        const int n = 16, m = 24, d = 8, depth = 2;
        var rng = new Rng(5);
        var x = InputSets.Sphere(m, d, rng);
        var runs = LazyRich.Run(new LazyRichOptions
        {
            Architecture = w => ModelSpec.Mlp([d], Enumerable.Repeat(w, depth).ToArray(), 1), Widths = [64, 1024],
            Probe = InputSets.ToTensor(x, m, d), Train = n, Targets = Enumerable.Range(0, n).Select(_ => rng.NextNormal()).ToArray(),
            Steps = 100, StepTimesLambdaMax = 0.7, Records = 20, Seed = 11,
        });
        foreach (var r in runs)
            output.WriteLine($"{r.Parametrisation} {r.Width}: h·λmax {r.StepLambda:g3} → {r.StepLambdaEnd:g3}, change {r.KernelChange:g3}, 1 − CKA {r.KernelDistance:g3}, linearisation {r.LinearisationError:g3}, loss {r.LossStart:g3} → {r.LossEnd:g3}");
        LazyRichRun Get(string p, int w) => runs.Single(r => r.Parametrisation == p && r.Width == w);
        Assert.InRange(Get("ntk", 1024).KernelChange, 0, 0.5 * Get("ntk", 64).KernelChange);
        Assert.InRange(Get("ntk", 1024).LinearisationError, 0, 0.5 * Get("ntk", 64).LinearisationError);
        Assert.InRange(Get("standard", 1024).StepLambda, 2, double.PositiveInfinity);
        Assert.InRange(Get("standard", 1024).KernelChange, Math.Max(0.3, 5 * Get("ntk", 1024).KernelChange), double.PositiveInfinity);
        Assert.All(runs, r => Assert.InRange(r.LossEnd, 0, 0.5 * r.LossStart));
    }
}
