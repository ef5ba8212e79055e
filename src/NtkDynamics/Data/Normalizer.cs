using NtkDynamics.Tensors;

namespace NtkDynamics.Data;

/// <summary>
/// Per-channel normalisation x = (pixel / 255 - mean[c]) / std[c], with the mean and (population) standard deviation
/// of each channel over a training split.
/// </summary>
public sealed class Normalizer
{
    /// <summary>Per-channel mean of pixel / 255.</summary>
    public float[] Mean { get; }

    /// <summary>Per-channel standard deviation of pixel / 255 (1 for a constant channel).</summary>
    public float[] Std { get; }

    public Normalizer(float[] mean, float[] std)
    {
        if (mean.Length != std.Length) throw new ArgumentException("mean and std need one value per channel");
        Mean = mean;
        Std = std;
    }

    /// <summary>The statistics of <paramref name="train"/> (images are (N, C, H, W)).</summary>
    public static Normalizer FromSplit(ImageSplit train)
    {
        int channels = train.Channels, plane = train.Height * train.Width;
        var sum = new double[channels];
        var sumSq = new double[channels];
        for (int i = 0; i < train.Count; i++)
        {
            var image = train.Image(i);
            for (int c = 0; c < channels; c++)
            {
                long s = 0, s2 = 0;
                foreach (byte p in image.Slice(c * plane, plane)) { s += p; s2 += p * p; }
                sum[c] += s;
                sumSq[c] += s2;
            }
        }
        double count = (double)train.Count * plane;
        var mean = new float[channels];
        var std = new float[channels];
        for (int c = 0; c < channels; c++)
        {
            double m = sum[c] / count, variance = Math.Max(sumSq[c] / count - m * m, 0);
            mean[c] = (float)(m / 255);
            std[c] = variance > 1e-12 ? (float)(Math.Sqrt(variance) / 255) : 1f;
        }
        return new Normalizer(mean, std);
    }

    /// <summary>The images at <paramref name="indices"/> of <paramref name="split"/>, normalised: (B, C, H, W).</summary>
    public Tensor Apply(ImageSplit split, ReadOnlySpan<int> indices)
    {
        if (split.Channels != Mean.Length) throw new ArgumentException($"{split.Channels} channels but statistics for {Mean.Length}");
        var x = new Tensor(indices.Length, split.Channels, split.Height, split.Width);
        int plane = split.Height * split.Width;
        // per channel: y = p * scale + shift, with scale = 1 / (255 std), shift = -mean / std
        var scale = new float[Mean.Length];
        var shift = new float[Mean.Length];
        for (int c = 0; c < Mean.Length; c++) { scale[c] = 1f / (255f * Std[c]); shift[c] = -Mean[c] / Std[c]; }
        for (int b = 0; b < indices.Length; b++)
        {
            if ((uint)indices[b] >= (uint)split.Count) throw new ArgumentOutOfRangeException(nameof(indices), indices[b], $"index into a split of {split.Count} images");
            var image = split.Image(indices[b]);
            var dst = x.Rows(b, 1);
            for (int c = 0; c < Mean.Length; c++)
                for (int p = c * plane; p < (c + 1) * plane; p++) dst[p] = image[p] * scale[c] + shift[c];
        }
        return x;
    }
}
