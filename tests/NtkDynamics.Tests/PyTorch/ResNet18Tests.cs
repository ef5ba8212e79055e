using NtkDynamics.Formats;
using NtkDynamics.Nn;
using NtkDynamics.Ntk;
using NtkDynamics.Tensors;
using static NtkDynamics.Tests.PyTorch.TorchFixture;

namespace NtkDynamics.Tests.PyTorch;

/// <summary>
/// The built-in CIFAR ResNet-18 at nf 20 against PyTorch's (ResNet18 in tests/fixtures-src/torch_references.py, fixture
/// from make_resnet_fixtures.py; Fixtures/resnet18/README.md): weights and inputs from the script's counter hash; in
/// training mode the logits, the loss, every gradient (its norm and 32 hashed projections) and the running statistics after
/// the step; 3 steps of SGD with momentum (losses, weight changes, running statistics, evaluation logits after them); the
/// full and trace eNTK against functorch's in evaluation mode. All to 1e-5 relative (weight changes: plus their float32
/// rounding). Training passes take float64's branch at the ReLU kinks the fixture lists (<see cref="ReluKinks"/>), so the
/// comparison does not depend on which side of zero this machine's BLAS kernel rounds them to.
/// </summary>
public class ResNet18Tests
{
    private const double Tolerance = 1e-5;
    private const int Batch = 8, Probe = 4, Sketch = 32;

    private static IReadOnlyDictionary<string, NdArray> Reference => Arrays("resnet18/resnet18_nf20.safetensors");

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }

    /// <summary>The script's hashed(seed, count): 2 · (top 24 bits of mix(seed · 2^32 + i)) / 2^24 - 1.</summary>
    private static float[] Hashed(ulong seed, int count) =>
        [.. Enumerable.Range(0, count).Select(i => (float)((Mix((seed << 32) + (ulong)i) >> 40) / (double)(1 << 23) - 1))];

    private static Tensor Inputs(ulong seed, int n) => new(Hashed(seed, n * 3 * 32 * 32), n, 3, 32, 32);

    private static int[] HashedLabels(ulong seed, int n) => [.. Enumerable.Range(0, n).Select(i => (int)((Mix((seed << 32) + (ulong)i) >> 40) % 10))];

    /// <summary>The script's sketch: projections of g on ±1 vectors (the sign of each hashed value), over sqrt(32).</summary>
    private static double[] SketchOf(ulong seed, float[] g) => [.. Enumerable.Range(0, Sketch).Select(j =>
    {
        double s = 0;
        for (int i = 0; i < g.Length; i++) s += (Mix(((seed + (ulong)j) << 32) + (ulong)i) >> 63) != 0 ? g[i] : -g[i];
        return s / Math.Sqrt(Sketch);
    })];

    private static Model Load()
    {
        var f = Reference;
        var model = ModelSpec.ResNet18(20, 3, 32, 10).Build(Parametrisation.Parse("standard"), 0);
        var state = model.StateDict();
        Assert.Equal(f.Keys.Where(k => k.StartsWith("init.")).Select(k => k[5..]).Order(), state.Keys.Where(k => !k.EndsWith("num_batches_tracked")).Order());
        foreach (var (name, t) in state)
        {
            if (name.EndsWith("num_batches_tracked")) { t.Data[0] = 3; continue; }
            var init = f[$"init.{name}"].ToDouble();
            float offset = (float)init[1], scale = (float)init[2];
            var u = Hashed((ulong)init[0], t.Length);
            for (int i = 0; i < u.Length; i++) t.Data[i] = offset + scale * u[i];
        }
        return model;
    }

    private static void CloseSketch(string what, IReadOnlyDictionary<string, NdArray> f, string sketch, string norm, ulong seed, float[] actual, double tolerance = Tolerance)
    {
        Close(f[sketch].ToDouble(), SketchOf(seed, actual), tolerance, $"{what} (sketch)");
        double n = Math.Sqrt(actual.Sum(v => (double)v * v));
        Close.Relative(f[norm].ToDouble()[0], n, tolerance, what: $"{what} (norm)");
    }

    private static Dictionary<string, ulong> SketchSeeds(Model model)
    {
        var seeds = Reference["sketch_seeds"].ToInt64();
        Assert.Equal(seeds.Length, model.Parameters.Count);
        return model.Parameters.Select((p, i) => (p.Name, Seed: (ulong)seeds[i])).ToDictionary(e => e.Name, e => e.Seed);
    }

    [Fact]
    public void ATrainingStepEqualsPyTorchs()
    {
        var f = Reference;
        var kinks = new ReluKinks(f) { Pass = "train" };
        var model = kinks.Pin(Load());
        var seeds = SketchSeeds(model);
        model.Mode = Mode.Train;
        var logits = model.Forward(Inputs(1, Batch));
        Close(f["train.logits"].ToDouble(), logits.Data, Tolerance, "logits");
        var grad = new Tensor(logits.Shape);
        Close.Relative(f["train.loss"].ToDouble()[0], Losses.CrossEntropy(logits, HashedLabels(2, Batch), grad), Tolerance, what: "loss");
        model.ZeroGrad();
        model.BackwardParameters(grad);
        foreach (var p in model.Parameters)
            CloseSketch($"d loss / d {p.Name}", f, $"train.grad.{p.Name}", $"train.gradnorm.{p.Name}", seeds[p.Name], p.Grad.Data);
        foreach (var b in model.Buffers.Where(b => !b.Name.EndsWith("num_batches_tracked")))
            Close(f[$"train.{b.Name}"].ToDouble(), b.Value.Data, Tolerance, $"{b.Name} after the step");
        Assert.All(model.Buffers.Where(b => b.Name.EndsWith("num_batches_tracked")), b => Assert.Equal(4f, b.Value.Data[0]));
    }

    [Fact]
    public void ThreeSgdStepsEqualPyTorchs()
    {
        var f = Reference;
        var kinks = new ReluKinks(f);
        var model = kinks.Pin(Load());
        var seeds = SketchSeeds(model);
        var start = model.Parameters.ToDictionary(p => p.Name, p => p.Value.Data.ToArray());
        var sgd = new Sgd(model.Parameters, 0.05, 0.9);
        model.Mode = Mode.Train;
        var losses = new double[3];
        for (int s = 0; s < 3; s++)
        {
            kinks.Pass = $"sgd{s}";
            var logits = model.Forward(Inputs((ulong)(10 + 2 * s), Batch));
            var grad = new Tensor(logits.Shape);
            losses[s] = Losses.CrossEntropy(logits, HashedLabels((ulong)(11 + 2 * s), Batch), grad);
            model.ZeroGrad();
            model.BackwardParameters(grad);
            sgd.Step();
        }
        Close(f["sgd.losses"].ToDouble(), losses, Tolerance, "losses");
        foreach (var p in model.Parameters)
        {
            var delta = p.Value.Data.Select((w, i) => w - start[p.Name][i]).ToArray();
            // Each float32 step rounds each weight by up to half an ulp, 2^-24 |w|: a change of 1e-2 to a weight near 1 keeps
            // 5 digits (PyTorch's own float32 run is 1e-4 off for BatchNorm's γ, sgd.torch32_error). Allowed: 1e-5 plus twice
            // that rounding over the 3 steps, relative to the change.
            double rounding = 3 * Math.Pow(2, -23) * Math.Sqrt(p.Value.Data.Sum(w => (double)w * w)) / f[$"sgd.deltanorm.{p.Name}"].ToDouble()[0];
            double tolerance = Tolerance + rounding;
            CloseSketch($"{p.Name}'s change", f, $"sgd.delta.{p.Name}", $"sgd.deltanorm.{p.Name}", seeds[p.Name], delta, tolerance);
        }
        foreach (var b in model.Buffers.Where(b => !b.Name.EndsWith("num_batches_tracked")))
            Close(f[$"sgd.{b.Name}"].ToDouble(), b.Value.Data, Tolerance, $"{b.Name} after 3 steps");
        kinks.Pass = "";
        model.Mode = Mode.Eval;
        Close(f["sgd.eval_logits"].ToDouble(), model.Forward(Inputs(1, Batch)).Data, Tolerance, "evaluation logits after 3 steps");
    }

    public static TheoryData<string> Methods => ["auto", "generic", "no-fusion"];

    [Theory]
    [MemberData(nameof(Methods))]
    public void KernelsEqualFunctorchs(string method)
    {
        var f = Reference;
        var model = Load();
        var probe = Inputs(3, Probe);
        foreach (var (kind, entry) in new[] { (NtkKind.Full, "full"), (NtkKind.Trace, "trace") })
        {
            var options = method switch
            {
                "generic" => new NtkOptions(kind, GenericBlocks: true),
                "no-fusion" => new NtkOptions(kind, Fuse: false),
                _ => new NtkOptions(kind),
            };
            var kernel = EmpiricalNtk.Compute(model, probe, options);
            Assert.Equal(f[$"entk.{entry}"].Shape, new[] { kernel.Size, kernel.Size });
            Close(f[$"entk.{entry}"].ToDouble(), kernel.Values, Tolerance, $"{entry} ({method})");
        }
    }
}
