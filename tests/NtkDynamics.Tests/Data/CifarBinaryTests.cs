using NtkDynamics.Data;

namespace NtkDynamics.Tests.Data;

public class CifarBinaryTests
{
    /// <summary>n records: label bytes then 3072 pixels whose value encodes (record seed, position).</summary>
    private static byte[] Records(int n, int seed, Func<int, byte[]> labels)
    {
        var bytes = new List<byte>();
        for (int i = 0; i < n; i++)
        {
            bytes.AddRange(labels(i));
            for (int p = 0; p < 3072; p++) bytes.Add((byte)(seed * 31 + i * 7 + p));
        }
        return bytes.ToArray();
    }

    private static byte Pixel(int seed, int i, int p) => (byte)(seed * 31 + i * 7 + p);

    [Fact]
    public void Cifar10_reads_labels_pixels_and_class_names()
    {
        using var dir = new TempFolder();
        for (int b = 1; b <= 5; b++) File.WriteAllBytes(dir.File($"data_batch_{b}.bin"), Records(3, b, i => [(byte)((b + i) % 10)]));
        File.WriteAllBytes(dir.File("test_batch.bin"), Records(2, 9, i => [(byte)(9 - i)]));
        File.WriteAllLines(dir.File("batches.meta.txt"), ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck", ""]);

        var data = CifarBinary.LoadCifar10(dir.Path);

        Assert.Equal(15, data.Train.Count);
        Assert.Equal(2, data.Test.Count);
        Assert.Equal((3, 32, 32), (data.Channels, data.Height, data.Width));
        Assert.Equal("truck", data.ClassNames[9]);
        Assert.Equal([1, 2, 3], data.Train.Labels[..3]);       // batch 1
        Assert.Equal([5, 6, 7], data.Train.Labels[12..]);      // batch 5
        Assert.Equal([9, 8], data.Test.Labels);
        // record 1 of batch 2 is train image 4; its pixel 1500 (green plane) is unchanged
        Assert.Equal(Pixel(2, 1, 1500), data.Train.Image(4)[1500]);
        Assert.Equal(Pixel(9, 1, 3071), data.Test.Image(1)[3071]);
    }

    [Fact]
    public void Cifar10_without_meta_names_classes_by_number()
    {
        using var dir = new TempFolder();
        for (int b = 1; b <= 5; b++) File.WriteAllBytes(dir.File($"data_batch_{b}.bin"), Records(1, b, _ => [1]));
        File.WriteAllBytes(dir.File("test_batch.bin"), Records(1, 0, _ => [0]));
        Assert.Equal(["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"], CifarBinary.LoadCifar10(dir.Path).ClassNames);
    }

    [Fact]
    public void Cifar100_reads_fine_or_coarse_labels()
    {
        using var dir = new TempFolder();
        File.WriteAllBytes(dir.File("train.bin"), Records(4, 1, i => [(byte)(i + 10), (byte)(i * 20 + 5)]));
        File.WriteAllBytes(dir.File("test.bin"), Records(1, 2, _ => [19, 99]));
        File.WriteAllLines(dir.File("fine_label_names.txt"), Enumerable.Range(0, 100).Select(i => $"fine{i}"));

        var fine = CifarBinary.LoadCifar100(dir.Path);
        var coarse = CifarBinary.LoadCifar100(dir.Path, coarse: true);

        Assert.Equal([5, 25, 45, 65], fine.Train.Labels);
        Assert.Equal([99], fine.Test.Labels);
        Assert.Equal("fine65", fine.ClassNames[65]);
        Assert.Equal([10, 11, 12, 13], coarse.Train.Labels);
        Assert.Equal(20, coarse.NumClasses);
        Assert.Equal(Pixel(1, 3, 77), fine.Train.Image(3)[77]);
    }

    [Fact]
    public void Truncated_file_names_the_file()
    {
        using var dir = new TempFolder();
        File.WriteAllBytes(dir.File("train.bin"), Records(2, 1, _ => [0, 0])[..^10]);
        File.WriteAllBytes(dir.File("test.bin"), Records(1, 1, _ => [0, 0]));
        var e = Assert.Throws<InputException>(() => CifarBinary.LoadCifar100(dir.Path));
        Assert.Contains("train.bin", e.Message);
        Assert.Contains("3074-byte records", e.Message);
    }

    [Fact]
    public void Cifar10_record_size_from_cifar100_is_rejected()
    {
        using var dir = new TempFolder();
        for (int b = 1; b <= 5; b++) File.WriteAllBytes(dir.File($"data_batch_{b}.bin"), Records(1, b, _ => [1, 2]));
        File.WriteAllBytes(dir.File("test_batch.bin"), Records(1, 0, _ => [0]));
        var e = Assert.Throws<InputException>(() => CifarBinary.LoadCifar10(dir.Path));
        Assert.Contains("data_batch_1.bin", e.Message);
    }

    [Fact]
    public void Label_out_of_range_names_file_and_offset()
    {
        using var dir = new TempFolder();
        for (int b = 1; b <= 5; b++) File.WriteAllBytes(dir.File($"data_batch_{b}.bin"), Records(2, b, i => [(byte)(b == 3 && i == 1 ? 10 : 0)]));
        File.WriteAllBytes(dir.File("test_batch.bin"), Records(1, 0, _ => [0]));
        var e = Assert.Throws<InputException>(() => CifarBinary.LoadCifar10(dir.Path));
        Assert.Contains("data_batch_3.bin", e.Message);
        Assert.Contains("offset 3073", e.Message);
    }

    [Fact]
    public void Wrong_number_of_class_names_is_an_error()
    {
        using var dir = new TempFolder();
        for (int b = 1; b <= 5; b++) File.WriteAllBytes(dir.File($"data_batch_{b}.bin"), Records(1, b, _ => [0]));
        File.WriteAllBytes(dir.File("test_batch.bin"), Records(1, 0, _ => [0]));
        File.WriteAllLines(dir.File("batches.meta.txt"), ["a", "b"]);
        Assert.Contains("batches.meta.txt", Assert.Throws<InputException>(() => CifarBinary.LoadCifar10(dir.Path)).Message);
    }
}
