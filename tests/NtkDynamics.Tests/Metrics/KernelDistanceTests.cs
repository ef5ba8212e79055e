using NtkDynamics.Ntk.Metrics;
using static NtkDynamics.Tests.Metrics.RandomKernels;

namespace NtkDynamics.Tests.Metrics;

public class KernelDistanceTests
{
    private readonly double[] _k = Gram(7, 3, 5), _l = Gram(7, 3, 6);

    [Fact]
    public void CentredDistanceIsOneMinusCkaAndVelocityDividesByDt()
    {
        double s = KernelDistance.Centred(_k, _l);
        Close(1 - Hsic.Cka(_k, _l), s, 1e-15);
        Close(s / 2.5, KernelDistance.Velocity(_k, _l, 2.5), 1e-15);
        foreach (double dt in new[] { 0, -1, double.NaN, double.PositiveInfinity })
            Assert.Throws<InputException>(() => KernelDistance.Velocity(_k, _l, dt));
    }

    [Fact]
    public void UncentredDistanceIsScaleInvariantButSeesOffsets()
    {
        Assert.Equal(0, KernelDistance.Uncentred(_k, Scaled(_k, 3)), 1e-14);
        // identity against a kernel with zero diagonal: orthogonal in the Frobenius sense
        var eye = new double[16];
        var offDiagonal = new double[16];
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++)
                (i == j ? eye : offDiagonal)[i * 4 + j] = 1;
        Assert.Equal(1, KernelDistance.Uncentred(eye, offDiagonal), 1e-15);
        Assert.True(KernelDistance.Uncentred(_k, Scaled(_k, 1, shift: 100)) > 1e-3);
        Assert.Equal(0, KernelDistance.Centred(_k, Scaled(_k, 1, shift: 100)), 1e-12);
    }

    [Fact]
    public void NonFiniteOrNonSquareKernelsAreOneLineInputErrors()
    {
        var bad = (double[])_k.Clone();
        bad[7 * 2 + 3] = double.NaN;
        var e = Assert.Throws<InputException>(() => KernelDistance.Centred(_k, bad));
        Assert.Equal("CKA: second kernel: kernel element [2, 3] is NaN (not finite)", e.Message);
        bad[7 * 2 + 3] = double.PositiveInfinity;
        Assert.Throws<InputException>(() => Spectrum.Of(bad));
        Assert.Throws<InputException>(() => Kernels.Trace(bad));
        e = Assert.Throws<InputException>(() => Kernels.Validate(new double[12], "kernels/step_3.npy"));
        Assert.Equal("kernels/step_3.npy: expected a square n x n kernel, got 12 values", e.Message);
        Assert.Throws<InputException>(() => Kernels.Validate([], "k"));
    }

    [Fact]
    public void TraceSumsTheDiagonal() => Assert.Equal(1 + 5 + 9, Kernels.Trace([1, 2, 3, 4, 5, 6, 7, 8, 9]));
}
