using NtkDynamics.Tensors;
using NtkDynamics.Theory;
using static NtkDynamics.Tests.Theory.TheoryTestData;

namespace NtkDynamics.Tests.Theory;

public class SampledMlpTests
{
    [Theory]
    [InlineData(Parametrisation.Ntk)]
    [InlineData(Parametrisation.Standard)]
    public void NtkEqualsTheGramOfFiniteDifferenceGradients(Parametrisation parametrisation)
    {
        const int n = 3, d = 3, width = 4;
        var x = Normal(n, d, 5);
        var net = AnalyticNtk.Mlp(2, 1.3, 0.3, parametrisation, 0.8).Sample(d, width, new Rng(9));
        var k = net.Kernel(x, n, perLayer: true);
        // Θ = Σ_p ∂f_i/∂p ∂f_j/∂p / scale_p², where p are the N(0,1) draws and the trained parameter is scale_p·p
        // (scale 1 in the NTK parametrisation; σ_w/√fan_in or σ_b in the standard one)
        var total = new double[n * n];
        for (int l = 0; l < 3; l++)
        {
            int fanIn = l == 0 ? d : width;
            var block = new double[n * n];
            AddGradientGram(net, net.Weights[l], x, n, block, parametrisation == Parametrisation.Ntk ? 1 : net.Network.LayerSigmaW(l + 1) / Math.Sqrt(fanIn));
            AddGradientGram(net, net.Biases[l], x, n, block, parametrisation == Parametrisation.Ntk ? 1 : net.Network.SigmaB);
            for (int i = 0; i < n * n; i++) total[i] += block[i];
            if (parametrisation == Parametrisation.Ntk)
                for (int i = 0; i < n * n; i++) Assert.Equal(block[i], k.Weights![l][i] + k.Biases![l][i], 1e-7);
        }
        Assert.InRange(MaxAbsDiff(total, k.AtWidth(width)), 0, 1e-7 * MaxAbs(total));
        var scaled = parametrisation == Parametrisation.Ntk ? total : total.Select(v => v / width).ToArray();
        Assert.InRange(MaxAbsDiff(scaled, k.Ntk), 0, 1e-7 * MaxAbs(scaled));
    }

    // block += J Jᵀ / scale² over the parameters in p, J by central differences of the output.
    private static void AddGradientGram(SampledMlp net, double[] p, double[] x, int n, double[] block, double scale)
    {
        const double h = 1e-6;
        for (int q = 0; q < p.Length; q++)
        {
            double saved = p[q];
            p[q] = saved + h;
            var plus = net.Forward(x, n);
            p[q] = saved - h;
            var minus = net.Forward(x, n);
            p[q] = saved;
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                    block[i * n + j] += (plus[i] - minus[i]) * (plus[j] - minus[j]) / (4 * h * h * scale * scale);
        }
    }

    // Relative RMS error of the sampled NTK and NNGP against the analytic ones, pooled over seeds.
    private static (double Ntk, double Nngp) SampledError(AnalyticNtk network, double[] x, int n, int d, int width, int seeds)
    {
        var exact = network.Kernel(x, n, d);
        double ntk = 0, nngp = 0;
        for (int s = 0; s < seeds; s++)
        {
            var k = network.Sample(d, width, new Rng(1000 + (ulong)s)).Kernel(x, n);
            ntk += Math.Pow(RelativeRms(k.Ntk, exact.Ntk), 2);
            nngp += Math.Pow(RelativeRms(k.Nngp, exact.Nngp), 2);
        }
        return (Math.Sqrt(ntk / seeds), Math.Sqrt(nngp / seeds));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.1)]
    public void RandomFeaturesConvergeToTheTwoLayerKernelLikeOneOverSqrtWidth(double sigmaB)
    {
        const int n = 6, d = 5, small = 500, large = 8000, seeds = 16;
        var x = Normal(n, d, 3);
        var network = AnalyticNtk.Mlp(1, sigmaB: sigmaB);
        var coarse = SampledError(network, x, n, d, small, seeds);
        var fine = SampledError(network, x, n, d, large, seeds);
        // 16 times the features: the error falls about 4 times
        Assert.InRange(coarse.Ntk / fine.Ntk, 2.5, 6.5);
        Assert.InRange(coarse.Nngp / fine.Nngp, 2.5, 6.5);
        Assert.InRange(fine.Ntk, 0, 4 / Math.Sqrt(large));
        Assert.InRange(fine.Nngp, 0, 4 / Math.Sqrt(large));
    }

    [Theory]
    [InlineData(3, Parametrisation.Ntk)]
    [InlineData(2, Parametrisation.Standard)]
    public void WideDeepNetworksAreCloseToTheAnalyticKernel(int depth, Parametrisation parametrisation)
    {
        const int n = 6, d = 5, width = 2048;
        var x = Normal(n, d, 3);
        var network = AnalyticNtk.Mlp(depth, sigmaB: 0.1, parametrisation: parametrisation, sigmaWLast: 1.1);
        var narrow = SampledError(network, x, n, d, 64, 4);
        var wide = SampledError(network, x, n, d, width, 1);
        Assert.InRange(wide.Ntk, 0, 0.15);
        Assert.InRange(wide.Nngp, 0, 0.15);
        Assert.True(wide.Ntk < narrow.Ntk / 2, $"width {width}: {wide.Ntk}, width 64: {narrow.Ntk}");
    }
}
