using NtkDynamics.Formats;
using NtkDynamics.Nn;
using NtkDynamics.Ntk;
using NtkDynamics.Tensors;
using static NtkDynamics.Tests.PyTorch.TorchFixture;

namespace NtkDynamics.Tests.PyTorch;

/// <summary>
/// A graph that uses every layer kind (Fixtures/zoo/every_layer.yaml, read by our graph loader) against its PyTorch twin
/// (ZooNet in tests/fixtures-src/make_zoo_fixtures.py) on the same float32 weights: logits, loss and every gradient in
/// evaluation and training mode (batch statistics, Dropout with the mask our generator draws), the running statistics after
/// the training batch, and the eNTK (full, trace, one logit) against functorch's in evaluation mode, all to 1e-5 relative.
/// </summary>
public class EveryLayerGraphTests
{
    private const double Tolerance = 1e-5;

    private static readonly string GraphPath = FixtureFiles.Path("zoo/every_layer.yaml");

    private static IReadOnlyDictionary<string, NdArray> Reference => Arrays("zoo/every_layer_ref.safetensors");

    private static Model Load()
    {
        var model = GraphFile.Load(GraphPath).Build(null, Parametrisation.Parse("standard"), 0);
        string weights = FixtureFiles.Path("zoo/every_layer_weights.safetensors");
        model.LoadStateDict(SafeTensors.Read(weights), weights);
        return model;
    }

    [Fact]
    public void TheGraphUsesEveryLayerKind()
    {
        var kinds = GraphFile.Load(GraphPath).Nodes.Select(n => n.Kind).ToHashSet();
        Assert.Equal(LayerKinds.Names, kinds.Order());
        Assert.Equal(5, Load().Classes);
    }

    private static void ForwardBackward(Model model, string prefix)
    {
        var f = Reference;
        var logits = model.Forward(Tensor(f["x"]));
        Close(f[$"{prefix}.logits"].ToDouble(), logits.Data, Tolerance, $"{prefix} logits");
        var grad = new Tensor(logits.Shape);
        double loss = Losses.CrossEntropy(logits, Labels(f["labels"]), grad);
        Close.Relative(f[$"{prefix}.loss"].ToDouble()[0], loss, Tolerance, what: $"{prefix} loss");
        model.ZeroGrad();
        model.BackwardParameters(grad);
        Assert.Equal(f.Keys.Where(k => k.StartsWith($"{prefix}.grad.")).Select(k => k[$"{prefix}.grad.".Length..]).Order(), model.Parameters.Select(p => p.Name).Order());
        foreach (var p in model.Parameters) Close(f[$"{prefix}.grad.{p.Name}"].ToDouble(), p.Grad.Data, Tolerance, $"{prefix} d loss / d {p.Name}");
    }

    [Fact]
    public void EvaluationLogitsLossAndGradientsEqualPyTorchs()
    {
        var model = Load();
        model.Mode = Mode.Eval;
        var buffers = model.Buffers.Select(b => b.Value.Data.ToArray()).ToArray();
        ForwardBackward(model, "eval");
        for (int b = 0; b < buffers.Length; b++) Assert.Equal(buffers[b], model.Buffers[b].Value.Data);
    }

    // Dropout's generator set to new Rng(2025): the fixture's mask is what make_zoo_fixtures.py's xoshiro256** draws from it.
    [Fact]
    public void TrainingLogitsLossGradientsAndRunningStatisticsEqualPyTorchs()
    {
        var model = Load();
        model.Mode = Mode.Train;
        model.LoadRandomState(new Dictionary<string, ulong[]> { ["drop"] = new Rng(2025).GetState() }, "test");
        ForwardBackward(model, "train");
        var f = Reference;
        var mask = ((NtkDynamics.Nn.Layers.Dropout.State)model.Pass[model["drop"]]).Mask;
        Assert.Equal(f["train.mask"].ToFloat().Select(keep => keep * (float)(1 / 0.75)), mask);
        foreach (var b in model.Buffers.Where(b => !b.Name.EndsWith("num_batches_tracked")))
            Close(f[$"train.{b.Name}"].ToDouble(), b.Value.Data, Tolerance, $"{b.Name} after the batch");
        Assert.All(model.Buffers.Where(b => b.Name.EndsWith("num_batches_tracked")), b => Assert.Equal(4f, b.Value.Data[0]));
    }

    public static TheoryData<string> Methods => ["auto", "generic", "no-fusion", "one-logit-groups", "reference"];

    [Theory]
    [MemberData(nameof(Methods))]
    public void KernelsEqualFunctorchs(string method)
    {
        var model = Load();
        var f = Reference;
        var probe = Tensor(f["probe"]);
        foreach (var (kind, entry) in new[] { (NtkKind.Full, "full"), (NtkKind.Trace, "trace"), (NtkKind.Logit, "logit0") })
        {
            var kernel = method switch
            {
                "reference" => ReferenceNtk.Compute(model, probe, kind, 0),
                "generic" => EmpiricalNtk.Compute(model, probe, new NtkOptions(kind, GenericBlocks: true)),
                "no-fusion" => EmpiricalNtk.Compute(model, probe, new NtkOptions(kind, Fuse: false)),
                "one-logit-groups" => EmpiricalNtk.Compute(model, probe, new NtkOptions(kind, MemoryBudgetBytes: 4 << 10)),
                _ => EmpiricalNtk.Compute(model, probe, new NtkOptions(kind)),
            };
            Assert.Equal(f[$"entk.{entry}"].Shape, new[] { kernel.Size, kernel.Size });
            Close(f[$"entk.{entry}"].ToDouble(), kernel.Values, Tolerance, $"{entry} ({method})");
            Assert.Equal(model.Parameters.Select(p => p.Name).Order(), kernel.PerParameter.Keys.Order());
        }
    }
}
