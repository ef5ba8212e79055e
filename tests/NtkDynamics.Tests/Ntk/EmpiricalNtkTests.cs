using NtkDynamics.Nn;
using NtkDynamics.Ntk;
using NtkDynamics.Tensors;

namespace NtkDynamics.Tests.Ntk;

public class EmpiricalNtkTests
{
    internal static Tensor Probe(ModelSpec spec, int n, ulong seed)
    {
        var x = new Tensor([n, .. spec.InputShape]);
        new Rng(seed).FillNormal(x.Data, 1);
        return x;
    }

    internal static double RelativeError(double[] a, double[] b)
    {
        double num = 0, den = 0;
        for (int i = 0; i < a.Length; i++) { num += (a[i] - b[i]) * (a[i] - b[i]); den += b[i] * b[i]; }
        return Math.Sqrt(num / den);
    }

    private static void Train(Model m, int steps, ulong seed)
    {
        var x = Probe(m.Spec, 8, seed);
        var rng = new Rng(seed + 1);
        var y = Enumerable.Range(0, 8).Select(_ => rng.NextInt(m.Spec.Classes)).ToArray();
        var opt = new Sgd(m.Parameters, 0.05, momentum: 0.9);
        for (int s = 0; s < steps; s++)
        {
            var logits = m.Forward(x);
            var g = new Tensor(logits.Shape);
            Losses.CrossEntropy(logits, y, g);
            m.ZeroGrad(); m.Backward(g); opt.Step();
        }
    }

    public static IEnumerable<object[]> Cases()
    {
        foreach (var kind in new[] { NtkKind.Full, NtkKind.Trace, NtkKind.Logit })
            foreach (var par in new[] { "standard", "ntk" })
            {
                yield return ["cnn", 3, par, kind, "auto", 0];
                yield return ["cnn", 5, par, kind, "patch-gram", 3];
                yield return ["cnn", 4, par, kind, "per-sample", 3];
                // Widths that are multiples of GatherGemm's width: pooled Jacobians read by tap, and PooledInputGradient.
                yield return ["cnn", 16, par, kind, "per-sample", 3];
                yield return ["mlp", 6, par, kind, "auto", 3];
            }
        yield return ["mlp", 17, "kaiming", NtkKind.Full, "auto", 0];
        yield return ["cnn", 8, "kaiming", NtkKind.Trace, "auto", 2];
        yield return ["cnn", 48, "standard", NtkKind.Trace, "auto", 2];
        // Large pooled planes: the picked patch rows are taken in column blocks (conv1: q = 1024; conv2: Cin = 96 by tap, q = 256).
        yield return ["cnn64", 96, "standard", NtkKind.Trace, "per-sample", 0];
        // Pooled patch Grams with many pooled positions that are not a multiple of the vector width (q = 100, 25, 4).
        yield return ["cnn20", 16, "standard", NtkKind.Full, "patch-gram", 2];
        yield return ["cnn20", 16, "ntk", NtkKind.Trace, "patch-gram", 2];
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void StructuredEqualsReference(string arch, int width, string par, NtkKind kind, string method, int steps)
    {
        var spec = arch switch
        {
            "cnn" => ModelSpec.Cnn(width, 2, 9, 4),
            "cnn64" => ModelSpec.Cnn(width, 8, 64, 4),
            "cnn20" => ModelSpec.Cnn(width, 3, 20, 4),
            _ => ModelSpec.Mlp([3, 2, 2], [width, width + 1], 5),
        };
        var m = spec.Build(Parametrisation.Parse(par), 7);
        Train(m, steps, 8);
        var probe = Probe(spec, 5, 9);
        var fast = EmpiricalNtk.Compute(m, probe, new NtkOptions(kind, Logit: 2, ConvMethod: method));
        var slow = ReferenceNtk.Compute(m, probe, kind, 2);
        Assert.True(RelativeError(fast.Values, slow.Values) < 1e-5, $"total: {RelativeError(fast.Values, slow.Values)}");
        foreach (var (name, block) in slow.PerParameter)
            Assert.True(RelativeError(fast.PerParameter[name], block) < 1e-5, $"{name}: {RelativeError(fast.PerParameter[name], block)}");
        if (method != "auto") Assert.All(fast.Methods.Where(kv => kv.Key.StartsWith("conv")), kv => Assert.Equal(method, kv.Value));
    }

    // 8 samples x 10 logits: the full kernel's Grams have 80 rows, SymmetricGram's packed tiles (not its few-rows path), and
    // the pooled patch Gram contracts 10 logits, more than its 8 at a time.
    [Theory]
    [InlineData("per-sample")]
    [InlineData("patch-gram")]
    [InlineData("auto")]
    public void FullKernelOfManyRowsEqualsReference(string method)
    {
        var spec = ModelSpec.Cnn(16, 3, 12, 10);
        var m = spec.Build(Parametrisation.Parse("standard"), 5);
        Train(m, 2, 6);
        var probe = Probe(spec, 8, 7);
        var fast = EmpiricalNtk.Compute(m, probe, new NtkOptions(NtkKind.Full, ConvMethod: method));
        var slow = ReferenceNtk.Compute(m, probe, NtkKind.Full);
        foreach (var (name, block) in slow.PerParameter)
            Assert.True(RelativeError(fast.PerParameter[name], block) < 1e-5, $"{name}: {RelativeError(fast.PerParameter[name], block)}");
    }

    // Calls on one model reuse its cotangent buffers: after training steps (other maxima in the pools) and with another probe
    // size, a second and third call still equal the reference.
    [Fact]
    public void RepeatedCallsOnOneModelEqualReference()
    {
        var spec = ModelSpec.Cnn(16, 3, 12, 10);
        var m = spec.Build(Parametrisation.Parse("standard"), 11);
        foreach (var (samples, steps) in new[] { (6, 0), (6, 3), (4, 2) })
        {
            Train(m, steps, 12);
            var probe = Probe(spec, samples, 13);
            var fast = EmpiricalNtk.Compute(m, probe, new NtkOptions(NtkKind.Full));
            var slow = ReferenceNtk.Compute(m, probe, NtkKind.Full);
            Assert.True(RelativeError(fast.Values, slow.Values) < 1e-5, $"{samples} samples after {steps} steps: {RelativeError(fast.Values, slow.Values)}");
        }
    }

    [Fact]
    public void SmallBudgetSplitsLogitsAndTilesSamplesButGivesTheSameKernel()
    {
        var spec = ModelSpec.Cnn(6, 3, 16, 7);
        var m = spec.Build(Parametrisation.Parse("standard"), 3);
        var probe = Probe(spec, 12, 4);
        var big = EmpiricalNtk.Compute(m, probe, new NtkOptions(NtkKind.Full, ConvMethod: "patch-gram"));
        var small = EmpiricalNtk.Compute(m, probe, new NtkOptions(NtkKind.Full, MemoryBudgetBytes: 1 << 20, ConvMethod: "patch-gram"));
        Assert.True(RelativeError(small.Values, big.Values) < 1e-6);
        var perSample = EmpiricalNtk.Compute(m, probe, new NtkOptions(NtkKind.Full, MemoryBudgetBytes: 1 << 20, ConvMethod: "per-sample"));
        Assert.True(RelativeError(perSample.Values, big.Values) < 1e-5);
        // The trace in groups of logits (a small budget) and all at once, both methods, against the reference.
        var reference = ReferenceNtk.Compute(m, probe, NtkKind.Trace);
        foreach (var method in new[] { "patch-gram", "per-sample" })
            foreach (long budget in new[] { 1L << 20, 1L << 30 })
            {
                var trace = EmpiricalNtk.Compute(m, probe, new NtkOptions(NtkKind.Trace, MemoryBudgetBytes: budget, ConvMethod: method));
                Assert.True(RelativeError(trace.Values, reference.Values) < 1e-5, $"{method} {budget}: {RelativeError(trace.Values, reference.Values)}");
            }
    }

    [Fact]
    public void ReferenceEqualsFiniteDifferenceJacobian()
    {
        // Θ[(i,a),(j,b)] = Σ_θ ∂f_a(x_i)/∂θ ∂f_b(x_j)/∂θ with derivatives by central differences in every parameter.
        var spec = ModelSpec.Mlp([3], [4], 2);
        var m = spec.Build(Parametrisation.Parse("ntk"), 5);
        var probe = Probe(spec, 3, 6);
        var reference = ReferenceNtk.Compute(m, probe);
        int n = 3, k = 2;
        var jac = new List<double[]>();
        foreach (var p in m.Parameters)
            for (int t = 0; t < p.Value.Length; t++)
            {
                float saved = p.Value.Data[t];
                p.Value.Data[t] = saved + 1e-2f; var plus = m.Forward(probe).Data.ToArray();
                p.Value.Data[t] = saved - 1e-2f; var minus = m.Forward(probe).Data.ToArray();
                p.Value.Data[t] = saved;
                jac.Add(plus.Zip(minus, (u, v) => (u - (double)v) / 2e-2).ToArray());
            }
        var fd = new double[n * k * n * k];
        for (int r = 0; r < n * k; r++)
            for (int c = 0; c < n * k; c++)
                fd[r * n * k + c] = jac.Sum(col => col[r] * col[c]);
        Assert.True(RelativeError(reference.Values, fd) < 1e-3, $"{RelativeError(reference.Values, fd)}");
    }

    [Fact]
    public void KernelIsSymmetricPositiveSemiDefiniteAndBlocksSumToTotal()
    {
        var spec = ModelSpec.Cnn(8, 3, 12, 10);
        var m = spec.Build(Parametrisation.Parse("standard"), 1);
        var probe = Probe(spec, 10, 2);
        foreach (var kind in new[] { NtkKind.Full, NtkKind.Trace })
        {
            var kernel = EmpiricalNtk.Compute(m, probe, new NtkOptions(kind));
            int d = kernel.Size;
            for (int i = 0; i < d; i++)
                for (int j = 0; j < d; j++)
                    Assert.Equal(kernel[i, j], kernel[j, i], 1e-6 * (1 + Math.Abs(kernel[i, j])));
            var (w, _) = Blas.SymmetricEigen(kernel.Values, d);
            Assert.True(w[0] > -1e-6 * w[^1], $"{kind}: smallest eigenvalue {w[0]} of {w[^1]}");
            var sum = new double[d * d];
            foreach (var block in kernel.PerLayer().Values) for (int i = 0; i < sum.Length; i++) sum[i] += block[i];
            Assert.True(RelativeError(sum, kernel.Values) < 1e-12);
            Assert.Equal(new[] { "conv1", "conv2", "conv3", "fc" }, kernel.PerLayer().Keys.Order());
        }
    }

    [Fact]
    public void TraceIsTheSumOfTheFullKernelsDiagonalLogitBlocks()
    {
        var spec = ModelSpec.Cnn(4, 1, 8, 3);
        var m = spec.Build(Parametrisation.Parse("ntk"), 2);
        var probe = Probe(spec, 4, 3);
        var full = EmpiricalNtk.Compute(m, probe, new NtkOptions(NtkKind.Full));
        var trace = EmpiricalNtk.Compute(m, probe, new NtkOptions(NtkKind.Trace));
        var logit1 = EmpiricalNtk.Compute(m, probe, new NtkOptions(NtkKind.Logit, Logit: 1));
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++)
            {
                double s = 0;
                for (int a = 0; a < 3; a++) s += full[i * 3 + a, j * 3 + a];
                Assert.Equal(s, trace[i, j], 1e-6 * (1 + Math.Abs(s)));
                Assert.Equal(full[i * 3 + 1, j * 3 + 1], logit1[i, j], 1e-6 * (1 + Math.Abs(s)));
            }
    }

    [Fact]
    public void WrongProbeShapeIsAOneLineError()
    {
        var m = ModelSpec.Cnn(4, 3, 8, 10).Build(Parametrisation.Parse("standard"), 1);
        var e = Assert.Throws<InputException>(() => EmpiricalNtk.Compute(m, new Tensor(4, 1, 8, 8)));
        Assert.Contains("[n, 3, 8, 8]", e.Message);
        Assert.Contains("[4, 1, 8, 8]", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Throws<InputException>(() => EmpiricalNtk.Compute(m, new Tensor(4, 3, 8, 8), new NtkOptions(NtkKind.Logit, Logit: 10)));
    }
}
