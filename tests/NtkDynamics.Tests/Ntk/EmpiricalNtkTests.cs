using NtkDynamics.Nn;
using NtkDynamics.Ntk;
using NtkDynamics.Tensors;

namespace NtkDynamics.Tests.Ntk;

public class EmpiricalNtkTests
{
    internal static Tensor Probe(ModelSpec spec, int n, ulong seed) => Probe(spec.InputShape, n, seed);

    internal static Tensor Probe(int[] inputShape, int n, ulong seed)
    {
        var x = new Tensor([n, .. inputShape]);
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
        var x = Probe(m.InputShape, 8, seed);
        var rng = new Rng(seed + 1);
        var y = Enumerable.Range(0, 8).Select(_ => rng.NextInt(m.Classes)).ToArray();
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

    // A ResNet (dense cotangents, BatchNorm, residual sums) whose full kernel is one group of all logits, or, in a small budget,
    // groups whose cotangents are kept for their pairs: both methods against the reference.
    [Theory]
    [InlineData("per-sample")]
    [InlineData("patch-gram")]
    public void AResNetsFullKernelInOneGroupOrInPairsOfGroupsEqualsTheReference(string method)
    {
        var m = Nn.GraphTests.ResNet(nf: 2, size: 8, classes: 4);
        var probe = Probe(m.InputShape, 5, 7);
        var reference = ReferenceNtk.Compute(m, probe, NtkKind.Full);
        foreach (long budget in new[] { 1L << 30, 1L << 14 })
        {
            var groups = new List<string>();
            var kernel = EmpiricalNtk.Compute(m, probe, new NtkOptions(NtkKind.Full, MemoryBudgetBytes: budget, ConvMethod: method), groups.Add);
            Assert.Equal(budget == 1L << 30 ? 1 : 4, groups.Distinct().Count());
            Assert.True(RelativeError(kernel.Values, reference.Values) < 1e-5, $"{budget}: {RelativeError(kernel.Values, reference.Values)}");
        }
    }

    // Per-sample Jacobians from dense cotangents, built by OpenBLAS GEMMs (stage 1: Cin 20, P 256) or gathered ones (conv1:
    // Cin 3; stage 2: P 64 from patch rows; stages 3-4: Cin 80 and 160 read from the channels-last input; 1x1 shortcuts).
    [Theory]
    [InlineData(NtkKind.Full)]
    [InlineData(NtkKind.Trace)]
    public void AResNetsPerSampleJacobiansByEitherGemmEqualTheReference(NtkKind kind)
    {
        var m = Nn.GraphTests.ResNet(nf: 20, size: 16, classes: 3);
        var probe = Probe(m.InputShape, 4, 8);
        var fast = EmpiricalNtk.Compute(m, probe, new NtkOptions(kind, ConvMethod: "per-sample"));
        var slow = ReferenceNtk.Compute(m, probe, kind);
        foreach (var (name, block) in slow.PerParameter)
            Assert.True(RelativeError(fast.PerParameter[name], block) < 1e-5, $"{name}: {RelativeError(fast.PerParameter[name], block)}");
    }

    // The fusions (pooled cotangents) against every node's own backward and dense cotangents: the same kernel, any method.
    [Theory]
    [InlineData(NtkKind.Full, "per-sample", 16)]
    [InlineData(NtkKind.Full, "patch-gram", 16)]
    [InlineData(NtkKind.Trace, "auto", 16)]
    [InlineData(NtkKind.Trace, "per-sample", 5)]
    [InlineData(NtkKind.Logit, "patch-gram", 5)]
    public void FusedEqualsUnfused(NtkKind kind, string method, int width)
    {
        var spec = ModelSpec.Cnn(width, 3, 12, 4);
        var m = spec.Build(Parametrisation.Parse("standard"), 3);
        Train(m, 2, 4);
        var probe = Probe(spec, 6, 5);
        var fused = EmpiricalNtk.Compute(m, probe, new NtkOptions(kind, Logit: 1, ConvMethod: method));
        var unfused = EmpiricalNtk.Compute(m, probe, new NtkOptions(kind, Logit: 1, ConvMethod: method, Fuse: false));
        Assert.Equal(["conv1 → relu1 → pool1", "conv2 → relu2 → pool2", "conv3 → relu3 → pool3"], fused.Fusions);
        Assert.Empty(unfused.Fusions);
        foreach (var (name, block) in unfused.PerParameter)
            Assert.True(RelativeError(fused.PerParameter[name], block) < 1e-5, $"{name}: {RelativeError(fused.PerParameter[name], block)}");
    }

    // Every structured block against the generic one (per-row gradients through the layer's backward), for the CNN, the
    // MLP and a ResNet-18 (Conv2d without bias, BatchNorm, Linear), in the three kernels.
    [Theory]
    [InlineData("cnn", NtkKind.Full)]
    [InlineData("mlp", NtkKind.Trace)]
    [InlineData("resnet", NtkKind.Full)]
    [InlineData("resnet", NtkKind.Trace)]
    [InlineData("resnet", NtkKind.Logit)]
    public void StructuredBlocksEqualTheGenericBlock(string arch, NtkKind kind)
    {
        var m = arch switch
        {
            "cnn" => ModelSpec.Cnn(4, 2, 9, 3).Build(Parametrisation.Parse("ntk"), 1),
            "mlp" => ModelSpec.Mlp([5], [6, 7], 3).Build(Parametrisation.Parse("standard"), 1),
            _ => Nn.GraphTests.ResNet(nf: 2, size: 8, classes: 3),
        };
        if (arch == "resnet") TrainResNet(m);
        var probe = Probe(m.InputShape, 4, 2);
        var structured = EmpiricalNtk.Compute(m, probe, new NtkOptions(kind, Logit: 2));
        var generic = EmpiricalNtk.Compute(m, probe, new NtkOptions(kind, Logit: 2, GenericBlocks: true));
        Assert.All(generic.Methods.Values, v => Assert.Equal("generic", v));
        Assert.DoesNotContain("generic", structured.Methods.Values);
        foreach (var (name, block) in generic.PerParameter)
            Assert.True(RelativeError(structured.PerParameter[name], block) < 1e-5, $"{name}: {RelativeError(structured.PerParameter[name], block)}");
    }

    // A few training steps, so that BatchNorm's running statistics are not 0 and 1.
    private static void TrainResNet(Model m)
    {
        Train(m, 3, 9);
        Assert.NotEqual(0f, m.Buffers.First(b => b.Name == "layer2.0.bn1.running_mean").Value.Data[0]);
    }

    // The ResNet-18 kernel (running statistics as model.eval(), or the probe's frozen batch statistics) against the slow
    // reference in the same mode; every parameter's block, BatchNorm's γ and β included.
    [Theory]
    [InlineData(NtkKind.Full, false)]
    [InlineData(NtkKind.Trace, false)]
    [InlineData(NtkKind.Logit, false)]
    [InlineData(NtkKind.Full, true)]
    [InlineData(NtkKind.Trace, true)]
    public void ResNetEqualsReference(NtkKind kind, bool probeStatistics)
    {
        var m = Nn.GraphTests.ResNet(nf: 4, size: 8, classes: 5);
        TrainResNet(m);
        var probe = Probe(m.InputShape, 5, 3);
        var fast = EmpiricalNtk.Compute(m, probe, new NtkOptions(kind, Logit: 3, ProbeBatchStatistics: probeStatistics));
        var slow = ReferenceNtk.Compute(m, probe, kind, 3, probeStatistics);
        Assert.Equal(slow.PerParameter.Keys.Order(), fast.PerParameter.Keys.Order());
        Assert.Contains("layer3.0.bn2.weight", fast.PerParameter.Keys);
        foreach (var (name, block) in slow.PerParameter)
            Assert.True(RelativeError(fast.PerParameter[name], block) < 1e-5, $"{name}: {RelativeError(fast.PerParameter[name], block)}");
        // The two modes differ: the probe's statistics are not the running ones.
        var other = EmpiricalNtk.Compute(m, probe, new NtkOptions(kind, Logit: 3, ProbeBatchStatistics: !probeStatistics));
        Assert.True(RelativeError(other.Values, fast.Values) > 1e-3);
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
