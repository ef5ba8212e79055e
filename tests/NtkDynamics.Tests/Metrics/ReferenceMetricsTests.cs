using System.Text.Json;
using NtkDynamics.Formats;
using NtkDynamics.Ntk.Metrics;
using static NtkDynamics.Tests.Metrics.RandomKernels;

namespace NtkDynamics.Tests.Metrics;

/// <summary>Our metrics against entk.py's (and the fixture script's numpy) on a CNN's kernels before and after 5 SGD steps.</summary>
public class ReferenceMetricsTests
{
    private const double Rel = 1e-6;

    private static readonly IReadOnlyDictionary<string, NdArray> Kernels =
        SafeTensors.ReadArrays(FixtureFiles.Path("metrics_kernels.safetensors")).Arrays;

    private static JsonElement Reference(string kind)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(FixtureFiles.Path("metrics.json")));
        return doc.RootElement.GetProperty(kind).Clone();
    }

    private static int[] Labels => Array.ConvertAll(Kernels["labels"].ToInt64(), v => (int)v);

    private static double Get(JsonElement e, string key) => e.GetProperty(key).GetDouble();

    [Theory]
    [InlineData("trace", "1", "K1")]
    [InlineData("trace", "2", "K2")]
    [InlineData("full", "1", "K1")]
    [InlineData("full", "2", "K2")]
    public void SingleKernelMetricsMatchTheReference(string kind, string index, string key)
    {
        double[] k = Kernels[kind + index].ToDouble();
        var r = Reference(kind).GetProperty(key);
        var s = Spectrum.Of(k);
        Close(Get(r, "max_eig"), s.Max, Rel);
        Close(Get(r, "trace"), NtkDynamics.Ntk.Metrics.Kernels.Trace(k), Rel);
        double[] eig = r.GetProperty("eigenvalues_descending").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        AllClose(eig, s.Descending(), Rel * s.Max);
        Close(Get(r, "effective_rank"), s.EffectiveRank, Rel);
        Close(Get(r, "participation_ratio"), s.ParticipationRatio, Rel);
        if (r.GetProperty("condition_number").ValueKind == JsonValueKind.String)
            Assert.True(s.ConditionNumber > 1e12, $"a singular kernel gave condition number {s.ConditionNumber}");
        else
            Close(Get(r, "condition_number"), s.ConditionNumber, Rel);
        Close(Get(r, "label_alignment_centered"), LabelAlignment.Centred(k, Labels, 10), Rel);
        Close(Get(r, "label_alignment_uncentered"), LabelAlignment.Uncentred(k, Labels, 10), Rel);
    }

    [Theory]
    [InlineData("trace")]
    [InlineData("full")]
    public void PairMetricsMatchTheReference(string kind)
    {
        double[] k1 = Kernels[kind + "1"].ToDouble(), k2 = Kernels[kind + "2"].ToDouble();
        var r = Reference(kind).GetProperty("pair");
        Close(Get(r, "cka"), Hsic.Cka(k1, k2), Rel);
        Close(Get(r, "kernel_distance"), KernelDistance.Centred(k1, k2), Rel);
        Close(Get(r, "velocity"), KernelDistance.Velocity(k1, k2, Get(r, "velocity_dt")), Rel);
        Close(Get(r, "hsic_biased"), Hsic.Biased(k1, k2), Rel);
        Close(Get(r, "hsic_unbiased"), Hsic.Unbiased(k1, k2), Rel);
        Close(Get(r, "cka_unbiased"), Hsic.CkaUnbiased(k1, k2), Rel);
        Close(Get(r, "uncentered_distance"), KernelDistance.Uncentred(k1, k2), Rel);
    }
}
