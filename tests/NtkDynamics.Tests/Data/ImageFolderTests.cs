using System.Formats.Tar;
using System.IO.Compression;
using NtkDynamics.Data;

namespace NtkDynamics.Tests.Data;

public class ImageFolderTests
{
    private static readonly string[] Classes = ["cat", "dog", "emu"];

    /// <summary>A smooth RGB (h, w, 3) image that depends on its class and number, so a mix-up shows.</summary>
    private static byte[] Rgb(int cls, int k, int h = 16, int w = 16)
    {
        var rgb = new byte[h * w * 3];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                rgb[(y * w + x) * 3] = (byte)(40 + 60 * cls + 2 * x);
                rgb[(y * w + x) * 3 + 1] = (byte)(30 + 20 * k + 3 * y);
                rgb[(y * w + x) * 3 + 2] = (byte)(200 - 50 * cls);
            }
        return rgb;
    }

    /// <summary>Every (split, class, k) JPEG of a tiny data set: 3 train and 2 test images per class, 16x16.</summary>
    private static List<(string Path, byte[] Jpeg)> Jpegs(string testSplit = "test")
    {
        using var encoder = TurboJpeg.Encoder();
        var files = new List<(string, byte[])>();
        foreach (var (split, n) in new[] { ("train", 3), (testSplit, 2) })
            for (int c = 0; c < Classes.Length; c++)
                for (int k = 0; k < n; k++)
                    files.Add(($"{split}/{Classes[c]}/{k:D4}.jpg", encoder.Encode(Rgb(c, k + (split == "train" ? 0 : 10)), 16, 16, quality: 95)));
        return files;
    }

    private static void WriteTar(string path, IEnumerable<(string Path, byte[] Bytes)> files, bool gzip, string prefix = "")
    {
        using Stream file = File.Create(path);
        using Stream stream = gzip ? new GZipStream(file, CompressionLevel.Fastest) : file;
        using var tar = new TarWriter(stream, TarEntryFormat.Pax);
        var dirs = new HashSet<string>();
        foreach (var (name, bytes) in files)
        {
            string dir = prefix + name[..(name.LastIndexOf('/') + 1)];
            if (dir.Length > 0 && dirs.Add(dir)) tar.WriteEntry(new PaxTarEntry(TarEntryType.Directory, dir));
            tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, prefix + name) { DataStream = new MemoryStream(bytes) });
        }
    }

    /// <summary>What the loader must give: each JPEG decoded by libturbojpeg and laid out as (3, H, W) planes.</summary>
    private static byte[] Planes(byte[] jpeg)
    {
        using var decoder = TurboJpeg.Decoder();
        var (rgb, w, h) = decoder.Decode(jpeg, "expected");
        var planes = new byte[3 * w * h];
        for (int p = 0; p < w * h; p++)
            for (int c = 0; c < 3; c++) planes[c * w * h + p] = rgb[3 * p + c];
        return planes;
    }

    private static void AssertMatches(ImageDataset data, List<(string Path, byte[] Jpeg)> files)
    {
        Assert.Equal(Classes, data.ClassNames);
        Assert.Equal((3, 16, 16), (data.Channels, data.Height, data.Width));
        foreach (var (split, s) in new[] { ("train", data.Train), ("test", data.Test) })
        {
            // files are listed class by class, then by name: the loader's order
            var expected = files.Where(f => f.Path.StartsWith(split + "/") || (split == "test" && f.Path.StartsWith("val/"))).ToList();
            Assert.Equal(expected.Count, s.Count);
            for (int i = 0; i < expected.Count; i++)
            {
                Assert.Equal(Array.IndexOf(Classes, expected[i].Path.Split('/')[1]), s.Labels[i]);
                Assert.Equal(Planes(expected[i].Jpeg), s.Image(i).ToArray());
            }
        }
    }

    [Fact]
    public void Jpeg_round_trip_is_close_to_the_original()
    {
        using var encoder = TurboJpeg.Encoder();
        using var decoder = TurboJpeg.Decoder();
        byte[] original = Rgb(1, 2);
        var (rgb, w, h) = decoder.Decode(encoder.Encode(original, 16, 16, quality: 100), "x.jpg");
        Assert.Equal((16, 16), (w, h));
        for (int i = 0; i < rgb.Length; i++) Assert.InRange(rgb[i] - original[i], -3, 3);
    }

    [Fact]
    public void Reads_a_directory()
    {
        using var dir = new TempFolder();
        var files = Jpegs();
        foreach (var (path, bytes) in files) File.WriteAllBytes(dir.File(path), bytes);
        AssertMatches(ImageFolder.Load(dir.Path, "tiny", null), files);
    }

    [Fact]
    public void Reads_per_split_tar_gz_archives()
    {
        using var dir = new TempFolder();
        var files = Jpegs();
        WriteTar(dir.File("train.tar.gz"), files.Where(f => f.Path.StartsWith("train/")), gzip: true);
        WriteTar(dir.File("test.tar.gz"), files.Where(f => f.Path.StartsWith("test/")), gzip: true);
        AssertMatches(ImageFolder.Load(dir.Path, "tiny", null), files);
    }

    [Fact]
    public void Reads_one_plain_tar_with_a_leading_folder_and_a_val_split()
    {
        using var dir = new TempFolder();
        var files = Jpegs("val");
        var shuffled = files.OrderBy(f => f.Path.GetHashCode()).ToList(); // entry order in the archive must not matter
        WriteTar(dir.File("set.tar"), shuffled.Append(("README.txt", "notes"u8.ToArray())), gzip: false, prefix: "imagenet-tiny/");
        AssertMatches(DataSets.Load(dir.File("set.tar"), new LoadOptions(UseCache: false)), files);
    }

    [Fact]
    public void Resizes_to_the_image_size_by_area_averaging()
    {
        using var dir = new TempFolder();
        var files = Jpegs();
        foreach (var (path, bytes) in files) File.WriteAllBytes(dir.File(path), bytes);
        var data = ImageFolder.Load(dir.Path, "tiny", imageSize: 8);
        Assert.Equal((3, 8, 8), (data.Channels, data.Height, data.Width));
        var expected = new byte[3 * 8 * 8];
        AreaResize.Planes(Planes(files[4].Jpeg), 3, 16, 16, expected, 8, 8);
        Assert.Equal(expected, data.Train.Image(4).ToArray());
    }

    [Fact]
    public void A_jpeg_that_does_not_decode_is_named()
    {
        using var dir = new TempFolder();
        var files = Jpegs();
        files[5] = (files[5].Path, files[5].Jpeg[..^40]); // truncated inside the image data
        WriteTar(dir.File("train.tar.gz"), files.Where(f => f.Path.StartsWith("train/")), gzip: true);
        WriteTar(dir.File("test.tar.gz"), files.Where(f => f.Path.StartsWith("test/")), gzip: true);
        var e = Assert.Throws<InputException>(() => ImageFolder.Load(dir.Path, "tiny", null));
        Assert.Contains($"train.tar.gz!{files[5].Path}: JPEG does not decode", e.Message); // a warning (premature end) is an error too

        File.WriteAllBytes(dir.File("plain/train/cat/0.jpg"), "not a jpeg"u8.ToArray());
        File.WriteAllBytes(dir.File("plain/test/cat/0.jpg"), files[0].Jpeg);
        e = Assert.Throws<InputException>(() => ImageFolder.Load(dir.File("plain"), "tiny", null));
        Assert.Contains("plain/train/cat/0.jpg: JPEG header does not decode", e.Message);
    }

    [Fact]
    public void Truncated_archive_is_named()
    {
        using var dir = new TempFolder();
        WriteTar(dir.File("all.tar.gz"), Jpegs(), gzip: true);
        byte[] bytes = File.ReadAllBytes(dir.File("all.tar.gz"));
        File.WriteAllBytes(dir.File("all.tar.gz"), bytes[..(bytes.Length * 2 / 3)]);
        var e = Assert.Throws<InputException>(() => ImageFolder.Load(dir.File("all.tar.gz"), "tiny", null));
        Assert.Contains("all.tar.gz", e.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Archive_cut_between_entries_is_an_error_not_a_smaller_data_set(bool gzip)
    {
        using var dir = new TempFolder();
        WriteTar(dir.File("whole.tar"), Jpegs(), gzip: false);
        byte[] tar = File.ReadAllBytes(dir.File("whole.tar"))[..^1024]; // drop the end-of-archive marker: every entry is intact
        File.WriteAllBytes(dir.File("cut.tar.gz"), gzip ? IdxTests.Gzip(tar) : tar);
        var e = Assert.Throws<InputException>(() => ImageFolder.Load(dir.File("cut.tar.gz"), "tiny", null));
        Assert.StartsWith(dir.File("cut.tar.gz: archive is"), e.Message);
        Assert.Contains("truncated after entry test/emu/0001.jpg", e.Message);
        Assert.Equal(15, ImageFolder.Load(dir.File("whole.tar"), "tiny", null).Train.Count + ImageFolder.Load(dir.File("whole.tar"), "tiny", null).Test.Count);
    }

    [Fact]
    public void Empty_class_and_mismatched_classes_are_errors()
    {
        using var dir = new TempFolder();
        var files = Jpegs();
        foreach (var (path, bytes) in files) File.WriteAllBytes(dir.File(path), bytes);
        Directory.CreateDirectory(dir.File("train/fox/x"));
        Directory.Delete(dir.File("train/fox/x"));
        Assert.Contains("class folder fox of the train split has no images", Assert.Throws<InputException>(() => ImageFolder.Load(dir.Path, "tiny", null)).Message);

        File.WriteAllBytes(dir.File("train/fox/0.jpg"), files[0].Jpeg);
        Assert.Contains("class fox is in only one of the train and test splits", Assert.Throws<InputException>(() => ImageFolder.Load(dir.Path, "tiny", null)).Message);
    }

    [Fact]
    public void Non_jpeg_files_in_class_folders_are_errors_not_skipped()
    {
        using var dir = new TempFolder();
        foreach (var (path, bytes) in Jpegs()) File.WriteAllBytes(dir.File(path), bytes);
        File.WriteAllBytes(dir.File("test/dog/0009.png"), [1, 2, 3]);
        Assert.Contains("test/dog/0009.png: not a .jpg/.jpeg file", Assert.Throws<InputException>(() => ImageFolder.Load(dir.Path, "tiny", null)).Message);
    }

    [Fact]
    public void Images_of_different_sizes_need_an_image_size()
    {
        using var dir = new TempFolder();
        foreach (var (path, bytes) in Jpegs()) File.WriteAllBytes(dir.File(path), bytes);
        using var encoder = TurboJpeg.Encoder();
        File.WriteAllBytes(dir.File("train/emu/big.jpg"), encoder.Encode(Rgb(2, 0, 24, 20), 20, 24, 90));
        var e = Assert.Throws<InputException>(() => ImageFolder.Load(dir.Path, "tiny", null));
        Assert.Contains("train/emu/big.jpg: image is 20x24", e.Message);
        Assert.Equal(10, ImageFolder.Load(dir.Path, "tiny", 16).Train.Count);
    }
}
