namespace NtkDynamics.Data;

/// <summary>Which part of a data set: the training images or the held-out test images.</summary>
public enum Split { Train, Test }

/// <summary>
/// One split of an image data set in memory: N images as uint8 (N, C, H, W) and their class labels.
/// </summary>
public sealed class ImageSplit
{
    /// <summary>The pixels, (N, C, H, W) row-major, 0..255.</summary>
    public byte[] Pixels { get; }

    /// <summary>The class index of each image, in [0, number of classes).</summary>
    public int[] Labels { get; }

    public int Count => Labels.Length;
    public int Channels { get; }
    public int Height { get; }
    public int Width { get; }

    /// <summary>Bytes per image: C * H * W.</summary>
    public int ImageSize => Channels * Height * Width;

    public ImageSplit(byte[] pixels, int[] labels, int channels, int height, int width)
    {
        if (channels <= 0 || height <= 0 || width <= 0)
            throw new ArgumentException($"image shape ({channels}, {height}, {width}) must be positive");
        if ((long)labels.Length * channels * height * width != pixels.Length)
            throw new ArgumentException($"{pixels.Length} pixel bytes do not hold {labels.Length} images of ({channels}, {height}, {width})");
        Pixels = pixels;
        Labels = labels;
        Channels = channels;
        Height = height;
        Width = width;
    }

    /// <summary>The pixels of image <paramref name="i"/>, (C, H, W).</summary>
    public ReadOnlySpan<byte> Image(int i) => Pixels.AsSpan(i * ImageSize, ImageSize);

    /// <summary>How many images each class has.</summary>
    public int[] CountPerClass(int numClasses)
    {
        var counts = new int[numClasses];
        foreach (int y in Labels) counts[y]++;
        return counts;
    }

    /// <summary>The indices of each class's images, ascending.</summary>
    public int[][] IndicesPerClass(int numClasses)
    {
        var lists = new List<int>[numClasses];
        for (int c = 0; c < numClasses; c++) lists[c] = [];
        for (int i = 0; i < Labels.Length; i++) lists[Labels[i]].Add(i);
        return Array.ConvertAll(lists, l => l.ToArray());
    }

    /// <summary>A new split holding the images at <paramref name="indices"/>, in that order.</summary>
    public ImageSplit Select(ReadOnlySpan<int> indices)
    {
        int size = ImageSize;
        var pixels = new byte[(long)indices.Length * size];
        var labels = new int[indices.Length];
        for (int k = 0; k < indices.Length; k++)
        {
            Image(indices[k]).CopyTo(pixels.AsSpan(k * size, size));
            labels[k] = Labels[indices[k]];
        }
        return new ImageSplit(pixels, labels, Channels, Height, Width);
    }
}
