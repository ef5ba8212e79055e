using System.Diagnostics;
using System.IO.Compression;

namespace NtkDynamics.Data;

/// <summary>
/// Image folders in the layout <c>&lt;split&gt;/&lt;class&gt;/*.jpg</c> (ImageNet100 and friends), read from a directory,
/// from per-split archives (<c>train.tar.gz</c>, <c>test.tar.gz</c>, also .tar/.tgz) beside each other, or from one
/// .tar/.tar.gz holding all splits (under any leading folders). The split folder is <c>train</c>, and <c>test</c> or
/// <c>val</c>. Class names are the class folders in ordinal order; label k is the k-th. Every file in a class folder must
/// be a .jpg/.jpeg (dot-files excepted); JPEGs are decoded to RGB and, when an image size is given, resized to it by
/// area averaging (the whole image, no crop). Without an image size all images must have the size of the first.
/// </summary>
public static class ImageFolder
{
    private static readonly string[] ArchiveSuffixes = [".tar.gz", ".tgz", ".tar"];
    private static readonly string[] SplitNames = ["train", "test", "val"];

    /// <summary>One image file as read from disk: its split, class folder, display name and bytes.</summary>
    private sealed record RawImage(Split Split, string Class, string Name, byte[] Bytes);

    /// <summary>True for a .tar/.tar.gz/.tgz file, or a directory with a train folder or train archive.</summary>
    public static bool IsImageFolder(string path) =>
        IsArchive(path) ? File.Exists(path) : Directory.Exists(path) && SplitSource(path, "train") is not null;

    private static bool IsArchive(string path) => ArchiveSuffixes.Any(s => path.EndsWith(s, StringComparison.OrdinalIgnoreCase));

    /// <summary>The folder or archive for one split in directory <paramref name="dir"/>, or null.</summary>
    private static string? SplitSource(string dir, string split)
    {
        string folder = Path.Combine(dir, split);
        if (Directory.Exists(folder)) return folder;
        return ArchiveSuffixes.Select(s => Path.Combine(dir, split + s)).FirstOrDefault(File.Exists);
    }

    /// <summary>
    /// The files whose size and modification time decide whether a cached decode is still valid: the archives, or
    /// every folder and file under the split folders.
    /// </summary>
    public static IReadOnlyList<string> SourceFiles(string path)
    {
        if (IsArchive(path)) return [Path.GetFullPath(path)];
        var files = new List<string>();
        foreach (string split in SplitNames)
        {
            string? source = SplitSource(path, split);
            if (source is null) continue;
            files.Add(Path.GetFullPath(source));
            if (Directory.Exists(source))
                files.AddRange(Directory.EnumerateFileSystemEntries(source, "*", SearchOption.AllDirectories).Select(Path.GetFullPath).Order(StringComparer.Ordinal));
        }
        return files;
    }

    /// <summary>Reads and decodes the data set at <paramref name="path"/> (no cache; see <see cref="DecodedCache"/>).</summary>
    public static ImageDataset Load(string path, string name, int? imageSize, Action<string>? log = null)
    {
        var watch = Stopwatch.StartNew();
        var images = new List<RawImage>();
        var classDirs = new HashSet<(Split, string)>();
        if (IsArchive(path)) ReadArchive(path, null, images, classDirs);
        else
        {
            string? test = SplitSource(path, "test"), val = SplitSource(path, "val");
            if (test is not null && val is not null)
                throw new InputException($"{path}: has both a test and a val split; keep one");
            string train = SplitSource(path, "train") ?? throw new InputException($"{path}: no train folder or train.tar[.gz]");
            foreach (var (source, split) in new[] { (train, "train"), (test ?? val, test is null ? "val" : "test") })
            {
                if (source is null) throw new InputException($"{path}: no test (or val) folder or archive");
                if (Directory.Exists(source)) ReadDirectory(source, ToSplit(split), images, classDirs);
                else ReadArchive(source, split, images, classDirs);
            }
        }
        double readSeconds = watch.Elapsed.TotalSeconds;
        var classes = ClassNames(path, images, classDirs);
        var dataset = new ImageDataset(name, path, classes,
            Decode(images.Where(i => i.Split == Split.Train).ToList(), classes, imageSize, path),
            Decode(images.Where(i => i.Split == Split.Test).ToList(), classes, imageSize, path));
        double total = watch.Elapsed.TotalSeconds;
        log?.Invoke($"decoded {images.Count} JPEGs from {path} in {total:F1} s (reading {readSeconds:F1} s, decoding {images.Count / Math.Max(total - readSeconds, 1e-9):F0} images/s)");
        return dataset;
    }

    private static Split ToSplit(string split) => split == "train" ? Split.Train : Split.Test;

    /// <summary>The train class folders, sorted; the test split must have the same ones and no class may be empty.</summary>
    private static string[] ClassNames(string path, List<RawImage> images, HashSet<(Split, string)> classDirs)
    {
        foreach (var image in images) classDirs.Add((image.Split, image.Class));
        var counts = images.CountBy(i => (i.Split, i.Class)).ToDictionary();
        foreach (var dir in classDirs.Order())
            if (!counts.ContainsKey(dir))
                throw new InputException($"{path}: class folder {dir.Item2} of the {dir.Item1.ToString().ToLowerInvariant()} split has no images");
        var train = classDirs.Where(d => d.Item1 == Split.Train).Select(d => d.Item2).Order(StringComparer.Ordinal).ToArray();
        var test = classDirs.Where(d => d.Item1 == Split.Test).Select(d => d.Item2).Order(StringComparer.Ordinal).ToArray();
        if (train.Length == 0) throw new InputException($"{path}: the train split has no class folders");
        if (test.Length == 0) throw new InputException($"{path}: no test (or val) split with class folders");
        if (!train.SequenceEqual(test))
        {
            string odd = train.Except(test).Concat(test.Except(train)).First();
            throw new InputException($"{path}: class {odd} is in only one of the train and test splits");
        }
        return train;
    }

    private static void ReadDirectory(string dir, Split split, List<RawImage> images, HashSet<(Split, string)> classDirs)
    {
        foreach (string file in Directory.EnumerateFiles(dir))
            if (!Path.GetFileName(file).StartsWith('.'))
                throw new InputException($"{file}: a file directly in the split folder; expected <split>/<class>/<image>.jpg");
        foreach (string classDir in Directory.EnumerateDirectories(dir).Order(StringComparer.Ordinal))
        {
            string cls = Path.GetFileName(classDir);
            classDirs.Add((split, cls));
            foreach (string sub in Directory.EnumerateDirectories(classDir))
                throw new InputException($"{sub}: a folder inside class folder {cls}; expected <split>/<class>/<image>.jpg");
            foreach (string file in Directory.EnumerateFiles(classDir).Order(StringComparer.Ordinal))
                if (IsImage(file, file))
                    images.Add(new RawImage(split, cls, file, File.ReadAllBytes(file)));
        }
    }

    /// <summary>True for a JPEG name, false for a dot-file; any other file is an error naming <paramref name="display"/>.</summary>
    private static bool IsImage(string fileName, string display)
    {
        string file = Path.GetFileName(fileName);
        if (file.StartsWith('.')) return false;
        string ext = Path.GetExtension(file).ToLowerInvariant();
        if (ext is ".jpg" or ".jpeg") return true;
        throw new InputException($"{display}: not a .jpg/.jpeg file (only JPEG images are read from class folders)");
    }

    /// <summary>
    /// Reads a tar or gzipped tar. With <paramref name="onlySplit"/> (a per-split archive) every image must be in that split.
    /// </summary>
    private static void ReadArchive(string archive, string? onlySplit, List<RawImage> images, HashSet<(Split, string)> classDirs)
    {
        if (!File.Exists(archive)) throw new InputException($"{archive}: file not found");
        string last = "(start)";
        try
        {
            using Stream file = File.OpenRead(archive);
            bool gzip = IsGzip(file);
            using Stream stream = gzip ? new GZipStream(file, CompressionMode.Decompress) : file;
            foreach (var member in TarArchive.Members(stream, archive, gzip ? null : file.Length, name => IsImageName(name.Split('/')[^1])))
            {
                last = member.Name;
                string display = $"{archive}!{member.Name}";
                string[] parts = member.Name.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != ".").ToArray();
                if (member.Kind == TarMemberKind.Directory)
                {
                    int s = Array.FindLastIndex(parts, p => SplitNames.Contains(p));
                    if (s >= 0 && s == parts.Length - 2 && Accept(parts[s], onlySplit)) classDirs.Add((ToSplit(parts[s]), parts[^1]));
                    continue;
                }
                if (member.Kind != TarMemberKind.File) continue;
                if (parts.Length == 0 || parts[^1].StartsWith('.')) continue;
                bool inClassFolder = parts.Length >= 3 && SplitNames.Contains(parts[^3]);
                if (!inClassFolder && !IsImageName(parts[^1])) continue; // notes and licences outside the split folders
                if (!inClassFolder) throw new InputException($"{display}: image not in a <split>/<class>/ folder (split is train, test or val)");
                if (!Accept(parts[^3], onlySplit)) throw new InputException($"{display}: in split {parts[^3]} but this archive is for {onlySplit}");
                if (!IsImage(parts[^1], display)) continue;
                images.Add(new RawImage(ToSplit(parts[^3]), parts[^2], display, member.Data!));
            }
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or FormatException)
        {
            throw new InputException($"{archive}: archive is corrupt or truncated after entry {last} ({e.Message})");
        }
    }

    private static bool Accept(string split, string? onlySplit) => onlySplit is null || split == onlySplit;

    private static bool IsImageName(string file) => Path.GetExtension(file).ToLowerInvariant() is ".jpg" or ".jpeg" or ".png" or ".gif" or ".bmp" or ".webp";

    private static bool IsGzip(Stream file)
    {
        Span<byte> magic = stackalloc byte[2];
        int n = file.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
        file.Position = 0;
        return n == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
    }

    /// <summary>Decodes one split's images (sorted by class, then name) in parallel, one TurboJPEG handle per thread.</summary>
    private static ImageSplit Decode(List<RawImage> images, string[] classes, int? imageSize, string path)
    {
        images.Sort((a, b) => a.Class != b.Class ? string.CompareOrdinal(a.Class, b.Class) : string.CompareOrdinal(a.Name, b.Name));
        if (images.Count == 0) throw new InputException($"{path}: a split has no images");
        int size = imageSize ?? NativeSize(images[0]);
        int height = size, width = size, imageBytes = 3 * size * size;
        if ((long)images.Count * imageBytes > Array.MaxLength)
            throw new InputException($"{path}: {images.Count} images of 3x{size}x{size} do not fit in one array; use a smaller data.image_size");
        var pixels = new byte[(long)images.Count * imageBytes];
        var labels = images.Select(i => Array.BinarySearch(classes, i.Class, StringComparer.Ordinal)).ToArray();
        var errors = new InputException?[images.Count];
        Parallel.For(0, images.Count, TurboJpeg.Decoder, (i, _, jpeg) =>
        {
            try
            {
                var (rgb, w, h) = jpeg.Decode(images[i].Bytes, images[i].Name);
                if (imageSize is null && (w != width || h != height))
                    throw new InputException($"{images[i].Name}: image is {w}x{h} but {images[0].Name} is {width}x{height}; set data.image_size to resize");
                Place(rgb, h, w, pixels.AsSpan(i * imageBytes, imageBytes), height, width);
            }
            catch (InputException e)
            {
                errors[i] = e;
            }
            return jpeg;
        }, jpeg => jpeg.Dispose());
        if (errors.FirstOrDefault(e => e is not null) is { } first) throw first;
        return new ImageSplit(pixels, labels, 3, height, width);
    }

    private static int NativeSize(RawImage image)
    {
        using var jpeg = TurboJpeg.Decoder();
        var (_, w, h) = jpeg.Decode(image.Bytes, image.Name);
        if (w != h) throw new InputException($"{image.Name}: image is {w}x{h}, not square; set data.image_size to resize");
        return w;
    }

    /// <summary>rgb is (h, w, 3) interleaved; dst is (3, outH, outW) planes, area-resized when the sizes differ.</summary>
    private static void Place(byte[] rgb, int h, int w, Span<byte> dst, int outH, int outW)
    {
        Span<byte> planes = h == outH && w == outW ? dst : new byte[3 * h * w];
        int area = h * w;
        for (int p = 0; p < area; p++)
        {
            planes[p] = rgb[3 * p];
            planes[area + p] = rgb[3 * p + 1];
            planes[2 * area + p] = rgb[3 * p + 2];
        }
        if (h != outH || w != outW) AreaResize.Planes(planes, 3, h, w, dst, outH, outW);
    }
}
