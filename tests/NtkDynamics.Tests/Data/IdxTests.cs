using System.Buffers.Binary;
using System.IO.Compression;
using NtkDynamics.Data;

namespace NtkDynamics.Tests.Data;

public class IdxTests
{
    internal static byte[] ImagesFile(int n, int h, int w, Func<int, int, byte> pixel)
    {
        var bytes = new byte[16 + n * h * w];
        BinaryPrimitives.WriteInt32BigEndian(bytes, 0x803);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), n);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(8), h);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(12), w);
        for (int i = 0; i < n; i++)
            for (int p = 0; p < h * w; p++) bytes[16 + i * h * w + p] = pixel(i, p);
        return bytes;
    }

    internal static byte[] LabelsFile(params byte[] labels)
    {
        var bytes = new byte[8 + labels.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes, 0x801);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), labels.Length);
        labels.CopyTo(bytes, 8);
        return bytes;
    }

    internal static byte[] Gzip(byte[] data)
    {
        var output = new MemoryStream();
        using (var gz = new GZipStream(output, CompressionLevel.Fastest)) gz.Write(data);
        return output.ToArray();
    }

    private static void WriteSet(TempFolder dir, bool gzip, string testPrefix = "t10k")
    {
        byte[] Maybe(byte[] b) => gzip ? Gzip(b) : b;
        string ext = gzip ? ".gz" : "";
        File.WriteAllBytes(dir.File($"train-images-idx3-ubyte{ext}"), Maybe(ImagesFile(3, 4, 5, (i, p) => (byte)(i * 20 + p))));
        File.WriteAllBytes(dir.File($"train-labels-idx1-ubyte{ext}"), Maybe(LabelsFile(2, 0, 1)));
        File.WriteAllBytes(dir.File($"{testPrefix}-images-idx3-ubyte{ext}"), Maybe(ImagesFile(2, 4, 5, (i, p) => (byte)(200 + i + p))));
        File.WriteAllBytes(dir.File($"{testPrefix}-labels-idx1-ubyte{ext}"), Maybe(LabelsFile(1, 3)));
    }

    [Theory]
    [InlineData(false, "t10k")]
    [InlineData(true, "t10k")]
    [InlineData(true, "test")]
    public void Reads_plain_and_gzipped_files(bool gzip, string testPrefix)
    {
        using var dir = new TempFolder();
        WriteSet(dir, gzip, testPrefix);

        var data = Idx.LoadDirectory(dir.Path, "tiny");

        Assert.Equal((1, 4, 5), (data.Channels, data.Height, data.Width));
        Assert.Equal([2, 0, 1], data.Train.Labels);
        Assert.Equal([1, 3], data.Test.Labels);
        Assert.Equal(4, data.NumClasses); // largest label + 1
        Assert.Equal((byte)(2 * 20 + 19), data.Train.Image(2)[19]);
        Assert.Equal((byte)(201 + 7), data.Test.Image(1)[7]);
    }

    [Fact]
    public void Truncated_gzip_names_the_file()
    {
        using var dir = new TempFolder();
        WriteSet(dir, gzip: true);
        string file = dir.File("train-images-idx3-ubyte.gz");
        byte[] full = File.ReadAllBytes(file);
        File.WriteAllBytes(file, full[..(full.Length / 2)]);
        var e = Assert.Throws<InputException>(() => Idx.LoadDirectory(dir.Path, "tiny"));
        Assert.Contains("train-images-idx3-ubyte.gz", e.Message);
    }

    [Fact]
    public void Truncated_plain_file_names_the_file_and_sizes()
    {
        using var dir = new TempFolder();
        WriteSet(dir, gzip: false);
        string file = dir.File("t10k-images-idx3-ubyte");
        File.WriteAllBytes(file, File.ReadAllBytes(file)[..^1]);
        var e = Assert.Throws<InputException>(() => Idx.LoadDirectory(dir.Path, "tiny"));
        Assert.Contains("t10k-images-idx3-ubyte", e.Message);
        Assert.Contains("55 bytes but the header promises 56", e.Message);
    }

    [Fact]
    public void Label_count_must_match_image_count()
    {
        using var dir = new TempFolder();
        WriteSet(dir, gzip: false);
        File.WriteAllBytes(dir.File("train-labels-idx1-ubyte"), LabelsFile(1, 2));
        Assert.Contains("train-labels-idx1-ubyte: 2 labels but", Assert.Throws<InputException>(() => Idx.LoadDirectory(dir.Path, "tiny")).Message);
    }

    [Fact]
    public void Wrong_magic_and_label_out_of_range_are_errors()
    {
        using var dir = new TempFolder();
        WriteSet(dir, gzip: false);
        var names = new[] { "a", "b", "c" };
        var e = Assert.Throws<InputException>(() => Idx.LoadDirectory(dir.Path, "tiny", names));
        Assert.Contains("t10k-labels-idx1-ubyte: label 3 at entry 1 (byte offset 9)", e.Message);

        File.WriteAllBytes(dir.File("train-labels-idx1-ubyte"), IdxTests.ImagesFile(3, 1, 1, (_, _) => 0));
        Assert.Contains("train-labels-idx1-ubyte: IDX file has 3 dimensions", Assert.Throws<InputException>(() => Idx.LoadDirectory(dir.Path, "tiny")).Message);
    }

    [Fact]
    public void Embedded_set_has_300_and_100_images_per_class()
    {
        var data = EmbeddedData.Load();
        Assert.Equal(Enumerable.Repeat(300, 10), data.Train.CountPerClass(10));
        Assert.Equal(Enumerable.Repeat(100, 10), data.Test.CountPerClass(10));
        Assert.Equal((1, 28, 28), (data.Channels, data.Height, data.Width));
        Assert.Equal("Ankle boot", data.ClassNames[9]);
    }

    [Fact]
    public void Embedded_set_is_the_first_images_per_class_of_the_debian_package()
    {
        const string debian = "/usr/share/datasets/fashion-mnist";
        if (!Directory.Exists(debian)) return; // provenance check only where the package is installed
        var full = Idx.LoadDirectory(debian, "fashion-mnist", Idx.FashionMnistClasses);
        var embedded = EmbeddedData.Load();
        foreach (var (small, big, perClass) in new[] { (embedded.Train, full.Train, 300), (embedded.Test, full.Test, 100) })
        {
            var seen = new int[10];
            var keep = Enumerable.Range(0, big.Count).Where(i => seen[big.Labels[i]]++ < perClass).ToArray();
            var expected = big.Select(keep);
            Assert.Equal(expected.Labels, small.Labels);
            Assert.Equal(expected.Pixels, small.Pixels);
        }
    }
}
