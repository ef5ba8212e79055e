using NtkDynamics.Ntk.Metrics;
using static NtkDynamics.Tests.Metrics.RandomKernels;

namespace NtkDynamics.Tests.Metrics;

public class LabelAlignmentTests
{
    private static readonly int[] Labels = [0, 2, 1, 2, 0];

    [Fact]
    public void LabelKernelsAreYYtAndVecYVecYt()
    {
        var small = LabelAlignment.LabelKernel(Labels, 3, full: false);
        Assert.Equal(25, small.Length);
        Assert.Equal(1, small[0 * 5 + 4]);
        Assert.Equal(1, small[1 * 5 + 3]);
        Assert.Equal(0, small[0 * 5 + 1]);
        Assert.Equal(Labels.Length + 2 + 2, small.Sum()); // diagonal plus the two pairs, both ways

        var full = LabelAlignment.LabelKernel(Labels, 3, full: true);
        Assert.Equal(15 * 15, full.Length);
        Assert.Equal(25, full.Sum()); // y yᵀ with one 1 per sample in y
        Assert.Equal(1, full[(1 * 3 + 2) * 15 + 3 * 3 + 2]);
        Assert.Equal(0, full[(1 * 3 + 1) * 15 + 3 * 3 + 1]);
    }

    [Fact]
    public void TheLabelKernelIsPerfectlyAligned()
    {
        foreach (bool full in new[] { false, true })
        {
            var l = Scaled(LabelAlignment.LabelKernel(Labels, 3, full), 2.5);
            Assert.Equal(1, LabelAlignment.Centred(l, Labels, 3), 1e-14);
            Assert.Equal(1, LabelAlignment.Uncentred(l, Labels, 3), 1e-14);
        }
    }

    [Fact]
    public void AlignmentsMatchTheirDefinitions()
    {
        var k = Gram(5, 3, 4);
        var l = LabelAlignment.LabelKernel(Labels, 3, full: false);
        Close(Hsic.Cka(k, l), LabelAlignment.Centred(k, Labels, 3), 1e-15);
        double dot = k.Zip(l, (a, b) => a * b).Sum();
        Close(dot / Math.Sqrt(k.Sum(a => a * a) * l.Sum(b => b * b)), LabelAlignment.Uncentred(k, Labels, 3), 1e-13);
    }

    [Fact]
    public void BadLabelsOrSizesAreInputErrors()
    {
        var k = Gram(5, 3, 4);
        Assert.Contains("label 3 is outside [0, 3)", Assert.Throws<InputException>(() => LabelAlignment.Centred(k, [0, 1, 2, 3, 0], 3)).Message);
        Assert.Contains("a 5 x 5 kernel fits neither 4 labels", Assert.Throws<InputException>(() => LabelAlignment.Uncentred(k, [0, 1, 2, 0], 3)).Message);
    }
}
