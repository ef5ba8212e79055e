using System.Buffers.Binary;
using System.IO.Compression;

namespace NtkDynamics.Data;

/// <summary>
/// Reads IDX files (MNIST, Fashion-MNIST), gzipped or not (told by the gzip magic bytes, not the name):
/// images are idx3 ubyte (N, H, W), labels idx1 ubyte (N).
/// </summary>
public static class Idx
{
    /// <summary>The standard Fashion-MNIST class names.</summary>
    public static readonly string[] FashionMnistClasses =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>MNIST's class names: the digits.</summary>
    public static readonly string[] DigitClasses = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

    /// <summary>The path of <c>{prefix}-{kind}-idx{n}-ubyte</c> in <paramref name="dir"/>, plain or .gz; null when neither exists.</summary>
    private static string? Find(string dir, string prefix, string kind)
    {
        string stem = Path.Combine(dir, $"{prefix}-{kind}-{(kind == "images" ? "idx3" : "idx1")}-ubyte");
        return File.Exists(stem) ? stem : File.Exists(stem + ".gz") ? stem + ".gz" : null;
    }

    /// <summary>True when <paramref name="dir"/> holds train-images-idx3-ubyte[.gz].</summary>
    public static bool IsIdxDirectory(string dir) => Find(dir, "train", "images") is not null;

    /// <summary>
    /// Loads train-{images,labels} and t10k-{images,labels} (or test-…) from <paramref name="dir"/>.
    /// Without <paramref name="classNames"/> the classes are named by number, as many as the largest label + 1.
    /// </summary>
    public static ImageDataset LoadDirectory(string dir, string name, IReadOnlyList<string>? classNames = null)
    {
        string Need(string prefix, string kind) => Find(dir, prefix, kind)
            ?? throw new InputException($"{dir}: no {prefix}-{kind}-{(kind == "images" ? "idx3" : "idx1")}-ubyte[.gz]");
        string testPrefix = Find(dir, "t10k", "images") is not null ? "t10k" : "test";
        return FromStreams(name, dir, classNames, File.OpenRead,
            Need("train", "images"), Need("train", "labels"), Need(testPrefix, "images"), Need(testPrefix, "labels"));
    }

    /// <summary>Builds a data set from streams of the four files (used for the embedded resources).</summary>
    internal static ImageDataset FromStreams(string name, string source, IReadOnlyList<string>? classNames,
        Func<string, Stream> open, string trainImages, string trainLabels, string testImages, string testLabels)
    {
        ImageSplit Read(string images, string labels)
        {
            using Stream i = open(images), l = open(labels);
            return Combine(ReadImages(i, images), ReadLabels(l, labels), images, labels);
        }
        return Build(name, source, classNames, Read(trainImages, trainLabels), Read(testImages, testLabels), trainLabels, testLabels);
    }

    /// <summary>
    /// With class names, every label must be below their count. Without, the classes are 0 .. K-1 with K - 1 the largest
    /// label, and every one of them must have images (so one stray label such as 99 in a 10-class set is an error naming
    /// its file and entry, not 90 empty classes).
    /// </summary>
    private static ImageDataset Build(string name, string source, IReadOnlyList<string>? classNames,
        ImageSplit train, ImageSplit test, string trainLabels, string testLabels)
    {
        int numClasses = classNames?.Count ?? CountClasses([(train.Labels, trainLabels), (test.Labels, testLabels)]);
        CheckRange(train.Labels, numClasses, trainLabels);
        CheckRange(test.Labels, numClasses, testLabels);
        var names = classNames ?? Enumerable.Range(0, numClasses).Select(i => i.ToString()).ToArray();
        return new ImageDataset(name, source, names, train, test);
    }

    private static int CountClasses((int[] Labels, string File)[] files)
    {
        var present = new bool[257];
        foreach (var (labels, _) in files)
            foreach (int y in labels) present[y] = true;
        int missing = Array.IndexOf(present, false);
        if (missing == 0) throw new InputException($"{files[0].File}: no labels, so no classes");
        foreach (var (labels, file) in files)
        {
            int stray = Array.FindIndex(labels, y => y > missing);
            if (stray < 0) continue;
            int next = Array.IndexOf(present, true, missing);
            throw new InputException($"{file}: label {labels[stray]} at entry {stray} (byte offset {8 + stray}) is out of range: labels must be 0..K-1 with every class present, but {(next - 1 == missing ? $"class {missing} has" : $"classes {missing}..{next - 1} have")} no images");
        }
        return missing;
    }

    private static void CheckRange(int[] labels, int numClasses, string file)
    {
        for (int i = 0; i < labels.Length; i++)
            if (labels[i] >= numClasses)
                throw new InputException($"{file}: label {labels[i]} at entry {i} (byte offset {8 + i}) is out of range for {numClasses} classes");
    }

    private static ImageSplit Combine((byte[] Pixels, int N, int H, int W) images, int[] labels, string imageFile, string labelFile)
    {
        if (labels.Length != images.N)
            throw new InputException($"{labelFile}: {labels.Length} labels but {imageFile} has {images.N} images");
        return new ImageSplit(images.Pixels, labels, 1, images.H, images.W);
    }

    /// <summary>Reads an idx3 ubyte image file: (pixels (N, H, W), N, H, W).</summary>
    public static (byte[] Pixels, int N, int H, int W) ReadImages(Stream stream, string name)
    {
        byte[] data = ReadAll(stream, name);
        int[] dims = Header(data, name, 3);
        long size = (long)dims[0] * dims[1] * dims[2];
        CheckLength(data, 4 + 4 * 3, size, name);
        return (data.AsSpan(16, (int)size).ToArray(), dims[0], dims[1], dims[2]);
    }

    /// <summary>Reads an idx1 ubyte label file.</summary>
    public static int[] ReadLabels(Stream stream, string name)
    {
        byte[] data = ReadAll(stream, name);
        int n = Header(data, name, 1)[0];
        CheckLength(data, 8, n, name);
        var labels = new int[n];
        for (int i = 0; i < n; i++) labels[i] = data[8 + i];
        return labels;
    }

    private static void CheckLength(byte[] data, int header, long body, string name)
    {
        if (data.Length != header + body)
            throw new InputException($"{name}: {data.Length} bytes but the header promises {header + body} (truncated or wrong record size?)");
    }

    private static int[] Header(byte[] data, string name, int ndims)
    {
        if (data.Length < 4 + 4 * ndims || data[0] != 0 || data[1] != 0)
            throw new InputException($"{name}: not an IDX file (bad magic at offset 0)");
        if (data[2] != 0x08) throw new InputException($"{name}: IDX element type 0x{data[2]:x2} at offset 2, expected 0x08 (ubyte)");
        if (data[3] != ndims) throw new InputException($"{name}: IDX file has {data[3]} dimensions at offset 3, expected {ndims}");
        var dims = new int[ndims];
        for (int d = 0; d < ndims; d++)
        {
            dims[d] = BinaryPrimitives.ReadInt32BigEndian(data.AsSpan(4 + 4 * d));
            if (dims[d] < 0 || (d > 0 && dims[d] == 0))
                throw new InputException($"{name}: IDX dimension {d} is {dims[d]} at offset {4 + 4 * d}");
        }
        return dims;
    }

    /// <summary>The whole content, gunzipped when it starts with the gzip magic bytes.</summary>
    private static byte[] ReadAll(Stream stream, string name)
    {
        var raw = new MemoryStream();
        stream.CopyTo(raw);
        byte[] bytes = raw.ToArray();
        if (bytes.Length < 2 || bytes[0] != 0x1f || bytes[1] != 0x8b) return bytes;
        try
        {
            using var gz = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
            var plain = new MemoryStream();
            gz.CopyTo(plain);
            return plain.ToArray();
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException)
        {
            throw new InputException($"{name}: gzip data is corrupt or truncated ({e.Message})");
        }
    }
}
