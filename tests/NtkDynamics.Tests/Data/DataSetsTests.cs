using System.Diagnostics;
using NtkDynamics.Cli;
using NtkDynamics.Data;
using Xunit.Abstractions;

namespace NtkDynamics.Tests.Data;

public class DataSetsTests(ITestOutputHelper output)
{
    private static void WriteJpegFolder(TempFolder dir)
    {
        using var encoder = TurboJpeg.Encoder();
        foreach (string split in new[] { "train", "test" })
            foreach (string cls in new[] { "a", "b" })
                for (int k = 0; k < 2; k++)
                    File.WriteAllBytes(dir.File($"set/{split}/{cls}/{k}.jpg"), encoder.Encode(Enumerable.Repeat((byte)(cls == "a" ? 50 : 200), 8 * 8 * 3).ToArray(), 8, 8, 90));
    }

    [Fact]
    public void Paths_are_recognised_by_their_contents()
    {
        using var dir = new TempFolder();
        File.WriteAllBytes(dir.File("idx/train-images-idx3-ubyte"), IdxTests.ImagesFile(1, 2, 2, (_, _) => 7));
        File.WriteAllBytes(dir.File("idx/train-labels-idx1-ubyte"), IdxTests.LabelsFile(0));
        File.WriteAllBytes(dir.File("idx/t10k-images-idx3-ubyte"), IdxTests.ImagesFile(1, 2, 2, (_, _) => 9));
        File.WriteAllBytes(dir.File("idx/t10k-labels-idx1-ubyte"), IdxTests.LabelsFile(0));
        WriteJpegFolder(dir);

        Assert.Equal("IDX", DataSets.Find(dir.File("idx")).Format);
        Assert.Equal(7, DataSets.Load(dir.File("idx")).Train.Pixels[0]);
        var jpg = DataSets.Find(dir.File("set"));
        Assert.Equal(("set", "JPEG image folders"), (jpg.Name, jpg.Format));
        Assert.Equal(["a", "b"], jpg.Load(new LoadOptions(UseCache: false)).ClassNames);
        Assert.Contains("is not a data set", Assert.Throws<InputException>(() => DataSets.Find(dir.File("idx/.."))).Message);
        Assert.Contains("data.dataset: no-such-set is neither", Assert.Throws<InputException>(() => DataSets.Find("no-such-set")).Message);
        Assert.True(DataSets.Find("embedded").Found);
        Assert.Equal(4000, DataSets.Load("EMBEDDED").Train.Count + DataSets.Load("embedded").Test.Count);
        Assert.Equal((1, 14, 14), DataSets.Load("embedded", new LoadOptions(ImageSize: 14)) is var small ? (small.Channels, small.Height, small.Width) : default);
    }

    [Fact]
    public void Cache_is_used_on_the_second_load_and_invalidated_by_a_touched_source()
    {
        using var dir = new TempFolder();
        WriteJpegFolder(dir);
        var log = new List<string>();
        var options = new LoadOptions(CacheFolder: dir.File("cache"), Log: log.Add);

        var cold = DataSets.Load(dir.File("set"), options);
        Assert.Contains(log, l => l.StartsWith("decoded 8 JPEGs"));
        Assert.Single(Directory.GetFiles(dir.File("cache")));

        log.Clear();
        var warm = DataSets.Load(dir.File("set"), options);
        Assert.Single(log, l => l.StartsWith("read decoded cache"));
        Assert.Equal(cold.Train.Pixels, warm.Train.Pixels);
        Assert.Equal(cold.Test.Labels, warm.Test.Labels);
        Assert.Equal(cold.ClassNames, warm.ClassNames);

        log.Clear();
        File.SetLastWriteTimeUtc(dir.File("set/test/b/1.jpg"), DateTime.UtcNow.AddMinutes(1));
        DataSets.Load(dir.File("set"), options);
        Assert.Contains(log, l => l.StartsWith("decoded 8 JPEGs"));

        log.Clear();
        foreach (string file in Directory.GetFiles(dir.File("cache"))) File.WriteAllBytes(file, [1, 2, 3]); // a damaged entry is a miss
        DataSets.Load(dir.File("set"), options);
        Assert.Contains(log, l => l.StartsWith("decoded 8 JPEGs"));

        log.Clear();
        DataSets.Load(dir.File("set"), options with { UseCache = false });
        Assert.Equal(["decoded"], log.Select(l => l.Split(' ')[0]));
    }

    [Fact]
    public void Cifar10_jpg_from_shared_has_5000_and_1000_images_per_class()
    {
        var source = DataSets.Find("cifar10-jpg");
        if (!source.Found)
        {
            output.WriteLine($"skipped: cifar10-jpg not found (looked in {string.Join(", ", source.Searched)})");
            return;
        }
        var watch = Stopwatch.StartNew();
        var data = source.Load(new LoadOptions(UseCache: false));
        output.WriteLine($"loaded {source.Location} in {watch.Elapsed.TotalSeconds:F1} s without the cache");
        Assert.Equal(["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"], data.ClassNames);
        Assert.Equal((3, 32, 32), (data.Channels, data.Height, data.Width));
        Assert.Equal(Enumerable.Repeat(5000, 10), data.Train.CountPerClass(10));
        Assert.Equal(Enumerable.Repeat(1000, 10), data.Test.CountPerClass(10));
        Assert.Equal(0, data.Train.Labels[0]);
        Assert.Equal(9, data.Test.Labels[^1]);
    }

    [Fact]
    public void Cli_inspect_writes_a_contact_sheet_and_bad_names_exit_2()
    {
        using var dir = new TempFolder();
        string sheet = dir.File("embedded.svg");
        Assert.Equal(0, Commands.Run(["data", "inspect", "embedded", "--sheet", sheet, "--per-class", "3"]));
        Assert.Contains("Ankle boot", File.ReadAllText(sheet));
        Assert.Equal(0, Commands.Run(["data", "list"]));
        Assert.Equal(2, Commands.Run(["data", "inspect", "no-such-set"]));
    }
}
