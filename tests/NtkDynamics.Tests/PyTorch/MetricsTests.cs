using System.Text.Json;
using NtkDynamics.Nn;
using NtkDynamics.Ntk;
using NtkDynamics.Ntk.Metrics;
using NtkDynamics.Tensors;
using static NtkDynamics.Tests.PyTorch.TorchFixture;

namespace NtkDynamics.Tests.PyTorch;

/// <summary>
/// End to end: kernels our engine computes (before and after 5 steps of our SGD) give the metrics of metrics.json, which
/// entk.py and numpy computed from functorch's kernels of the same network trained by torch.optim.SGD in float64.
/// </summary>
public class MetricsTests
{
    private const double Rel = 1e-4;

    private static readonly Lazy<Dictionary<NtkKind, (NtkKernel K1, NtkKernel K2)>> Ours = new(() =>
    {
        var model = Load("cnn_w4_s8");
        var probe = Tensor(Arrays("cnn_w4_s8_entk.safetensors")["probe"]);
        var k1 = new[] { NtkKind.Trace, NtkKind.Full }.ToDictionary(k => k, k => EmpiricalNtk.Compute(model, probe, new NtkOptions(k)));
        var io = Arrays("cnn_w4_s8_io.safetensors");
        var x = Tensor(io["x"]);
        var labels = Labels(io["labels"]);
        var opt = new Sgd(model.Parameters, 0.1);
        for (int step = 0; step < 5; step++)
        {
            var logits = model.Forward(x);
            var grad = new Tensor(logits.Shape);
            Losses.CrossEntropy(logits, labels, grad);
            model.ZeroGrad();
            model.Backward(grad);
            opt.Step();
        }
        return k1.ToDictionary(kv => kv.Key, kv => (kv.Value, EmpiricalNtk.Compute(model, probe, new NtkOptions(kv.Key))));
    });

    private static JsonElement Reference(string kind)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(FixtureFiles.Path("metrics.json")));
        return doc.RootElement.GetProperty(kind).Clone();
    }

    private static int[] ProbeLabels => Labels(Arrays("metrics_kernels.safetensors")["labels"]);

    private static void Near(JsonElement r, string key, double actual, double rel = Rel)
    {
        double expected = r.GetProperty(key).GetDouble();
        Assert.True(Math.Abs(actual - expected) <= rel * Math.Abs(expected), $"{key}: expected {expected}, got {actual}");
    }

    private static NtkKind KindOf(string kind) => kind == "full" ? NtkKind.Full : NtkKind.Trace;

    [Theory]
    [InlineData("trace")]
    [InlineData("full")]
    public void TrainedKernelsEqualFunctorchs(string kind)
    {
        var (k1, k2) = Ours.Value[KindOf(kind)];
        var fixture = Arrays("metrics_kernels.safetensors");
        Close(fixture[kind + "1"].ToDouble(), k1.Values, 1e-5, $"{kind} K1");
        Close(fixture[kind + "2"].ToDouble(), k2.Values, 1e-5, $"{kind} K2 after 5 SGD steps");
    }

    [Theory]
    [InlineData("trace", "K1")]
    [InlineData("trace", "K2")]
    [InlineData("full", "K1")]
    [InlineData("full", "K2")]
    public void SingleKernelMetricsEqualTheReference(string kind, string which)
    {
        var (k1, k2) = Ours.Value[KindOf(kind)];
        double[] k = (which == "K1" ? k1 : k2).Values;
        var r = Reference(kind).GetProperty(which);
        var s = Spectrum.Of(k);
        Near(r, "max_eig", s.Max);
        Near(r, "trace", Kernels.Trace(k));
        double[] eig = r.GetProperty("eigenvalues_descending").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        double[] ours = s.Descending();
        for (int i = 0; i < eig.Length; i++) Assert.True(Math.Abs(ours[i] - eig[i]) <= Rel * s.Max, $"eigenvalue {i}: {ours[i]} vs {eig[i]}");
        Near(r, "effective_rank", s.EffectiveRank);
        Near(r, "participation_ratio", s.ParticipationRatio);
        if (r.GetProperty("condition_number").ValueKind == JsonValueKind.String)
            Assert.True(s.ConditionNumber > 1e5, $"a singular kernel gave condition number {s.ConditionNumber}");
        else
            Near(r, "condition_number", s.ConditionNumber);
        Near(r, "label_alignment_centered", LabelAlignment.Centred(k, ProbeLabels, 10));
        Near(r, "label_alignment_uncentered", LabelAlignment.Uncentred(k, ProbeLabels, 10));
    }

    [Theory]
    [InlineData("trace")]
    [InlineData("full")]
    public void PairMetricsEqualTheReference(string kind)
    {
        var (k1, k2) = Ours.Value[KindOf(kind)];
        double[] a = k1.Values, b = k2.Values;
        var r = Reference(kind).GetProperty("pair");
        Near(r, "cka", Hsic.Cka(a, b));
        Near(r, "kernel_distance", KernelDistance.Centred(a, b));
        Near(r, "velocity", KernelDistance.Velocity(a, b, r.GetProperty("velocity_dt").GetDouble()));
        Near(r, "hsic_biased", Hsic.Biased(a, b));
        Near(r, "uncentered_distance", KernelDistance.Uncentred(a, b));
        // The unbiased estimates of the 6 x 6 trace kernels are differences of nearly equal terms (≈ -0.003): absolute tolerance.
        double scale = kind == "trace" ? 1e-2 : Rel;
        Assert.True(Math.Abs(Hsic.Unbiased(a, b) - r.GetProperty("hsic_unbiased").GetDouble()) <= scale * Hsic.Biased(a, b), "hsic_unbiased");
        Near(r, "cka_unbiased", Hsic.CkaUnbiased(a, b), kind == "trace" ? 0.5 : Rel);
    }
}
