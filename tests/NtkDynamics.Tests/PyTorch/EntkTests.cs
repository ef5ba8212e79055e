using NtkDynamics.Nn;
using NtkDynamics.Ntk;
using NtkDynamics.Tensors;
using static NtkDynamics.Tests.PyTorch.TorchFixture;

namespace NtkDynamics.Tests.PyTorch;

/// <summary>Our empirical NTKs against functorch's (entk.entk_jac in float64 on the same float32 weights and probe).</summary>
public class EntkTests
{
    private const double Tolerance = 1e-5;

    /// <summary>The fixture entry of each kind: full (nk x nk, sample-major), trace (n x n), logit0 (n x n).</summary>
    private static (NtkKind Kind, string Entry)[] Kinds => [(NtkKind.Full, "full"), (NtkKind.Trace, "trace"), (NtkKind.Logit, "logit0")];

    public static TheoryData<string, string> Cases()
    {
        var cases = new TheoryData<string, string>();
        foreach (var model in new[] { "cnn_w4_s8", "mlp" })
            foreach (var method in new[] { "patch-gram", "per-sample", "auto", "one-logit-groups", "reference" })
                cases.Add(model, method);
        return cases;
    }

    private static NtkKernel Compute(Model model, Tensor probe, NtkKind kind, string method) => method switch
    {
        "reference" => ReferenceNtk.Compute(model, probe, kind, 0),
        // A budget of 4 KiB gives groups of one logit: the full kernel is then assembled from every pair of groups.
        "one-logit-groups" => EmpiricalNtk.Compute(model, probe, new NtkOptions(kind, 0, 4 << 10, "patch-gram")),
        _ => EmpiricalNtk.Compute(model, probe, new NtkOptions(kind, 0, ConvMethod: method)),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void KernelsEqualFunctorchs(string prefix, string method)
    {
        var model = Load(prefix);
        var fixture = Arrays($"{prefix}_entk.safetensors");
        var probe = Tensor(fixture["probe"]);
        var before = model.Parameters.Select(p => p.Value.Data.ToArray()).ToArray();
        foreach (var (kind, entry) in Kinds)
        {
            var kernel = Compute(model, probe, kind, method);
            Assert.Equal(fixture[entry].Shape, new[] { kernel.Size, kernel.Size });
            Close(fixture[entry].ToDouble(), kernel.Values, Tolerance, $"{prefix} {entry} ({method})");
            if (method is "patch-gram" or "per-sample" && prefix.StartsWith("cnn"))
                Assert.All(kernel.Methods.Where(m => m.Key.StartsWith("conv")), m => Assert.Equal(method, m.Value));
        }
        for (int p = 0; p < before.Length; p++) Assert.Equal(before[p], model.Parameters[p].Value.Data);
    }

    [Fact]
    public void PerParameterBlocksOfTheStructuredKernelEqualTheReferences()
    {
        var model = Load("cnn_w4_s8");
        var probe = Tensor(Arrays("cnn_w4_s8_entk.safetensors")["probe"]);
        var reference = ReferenceNtk.Compute(model, probe, NtkKind.Full);
        foreach (var method in new[] { "patch-gram", "per-sample" })
        {
            var kernel = EmpiricalNtk.Compute(model, probe, new NtkOptions(NtkKind.Full, ConvMethod: method));
            Assert.Equal(reference.PerParameter.Keys.Order(), kernel.PerParameter.Keys.Order());
            foreach (var (name, block) in reference.PerParameter) Close(block, kernel.PerParameter[name], Tolerance, $"{name} ({method})");
        }
    }

    [Fact]
    public void ManagedBlasGivesTheSameKernels()
    {
        using var _ = Blas.Use(ManagedBlas.Instance);
        Assert.Same(ManagedBlas.Instance, Blas.Current);
        foreach (var prefix in new[] { "cnn_w4_s8", "mlp" })
        {
            var model = Load(prefix);
            var fixture = Arrays($"{prefix}_entk.safetensors");
            var probe = Tensor(fixture["probe"]);
            foreach (var method in new[] { "patch-gram", "per-sample" })
                foreach (var (kind, entry) in Kinds)
                    Close(fixture[entry].ToDouble(), Compute(model, probe, kind, method).Values, Tolerance, $"managed {prefix} {entry} ({method})");
        }
    }
}
