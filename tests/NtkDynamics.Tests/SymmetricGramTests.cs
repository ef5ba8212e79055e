using NtkDynamics.Tensors;

namespace NtkDynamics.Tests;

/// <summary>
/// SymmetricGram (the eNTK's A Aᵀ): the same bits on any number of threads, and within the error bound of a sum of k
/// products of the float64 Gram. Shapes cover both paths (few rows: dot tiles; more: packed tiles), several groups of
/// blocks, a last block narrower than the others, and a sum given in two calls.
/// </summary>
public class SymmetricGramTests
{
    public static TheoryData<int, int> Shapes => new()
    {
        { 10, 150_000 },  // dots, 147 blocks of 1024: two groups
        { 64, 40_000 },   // dots, 16 blocks a group
        { 100, 1_100 },   // packed, 3 blocks of 367
        { 200, 40_000 },  // packed, 79 blocks, 9 groups
    };

    private static double[] Gram(float[] a, int m, int k, int threads, int split)
    {
        var c = new double[m * m];
        SymmetricGram.MaxThreads = threads;
        try
        {
            using var sum = new SymmetricGram.Sum(m);
            unsafe
            {
                fixed (float* pa = a)
                {
                    sum.Add(split, pa, k);
                    sum.Add(k - split, pa + split, k);
                }
            }
            sum.AddTo(c);
        }
        finally { SymmetricGram.MaxThreads = 0; }
        return c;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void TheSameBitsOnAnyNumberOfThreads(int m, int k)
    {
        var a = new float[m * k];
        new Rng(11).FillNormal(a, 1);
        int split = k / 3;
        var one = Gram(a, m, k, 1, split);
        foreach (int threads in new[] { 2, 3, 7 })
            Assert.True(one.AsSpan().SequenceEqual(Gram(a, m, k, threads, split)), $"{threads} threads differ from one");

        // Against the float64 Gram: each entry is a sum of k products (Close.Sum's bound, float32 products and sums).
        for (int i = 0; i < m; i += 7)
            for (int j = i; j < m; j += 5)
            {
                double exact = 0, sumAbs = 0;
                for (int p = 0; p < k; p++)
                {
                    double x = (double)a[i * k + p] * a[j * k + p];
                    exact += x; sumAbs += Math.Abs(x);
                }
                Close.Sum(exact, one[i * m + j], k, sumAbs, $"C[{i}, {j}]");
                Assert.Equal(one[i * m + j], one[j * m + i]);
            }
    }
}
