namespace NtkDynamics.Data;

/// <summary>How to load: resize to a square image size (null keeps the native size), and whether to use the decoded cache.</summary>
/// <param name="ImageSize">Target height and width (key data.image_size); null keeps the images' own size.</param>
/// <param name="UseCache">Read and write the decoded cache for JPEG sources (the CLI's --no-cache turns it off).</param>
/// <param name="CacheFolder">Where the cache lives; null means <see cref="DecodedCache.DefaultFolder"/>.</param>
/// <param name="Log">Receives one-line notes (decode time, cache hits); null is silent.</param>
public sealed record LoadOptions(int? ImageSize = null, bool UseCache = true, string? CacheFolder = null, Action<string>? Log = null);

/// <summary>A data set the registry knows: its name, format, where it was found (null: not found) and where it looked.</summary>
public sealed class DataSource
{
    public string Name { get; }
    public string Format { get; }
    public string? Location { get; }
    public IReadOnlyList<string> Searched { get; }
    private readonly Func<string, LoadOptions, ImageDataset>? _load;

    internal DataSource(string name, string format, string? location, IReadOnlyList<string> searched, Func<string, LoadOptions, ImageDataset>? load)
    {
        Name = name; Format = format; Location = location; Searched = searched; _load = load;
    }

    public bool Found => Location is not null;

    /// <summary>Reads the data set (through the cache for JPEG sources), resized when options ask.</summary>
    public ImageDataset Load(LoadOptions? options = null)
    {
        if (Location is null || _load is null)
            throw new InputException($"data.dataset: data set {Name} not found; looked in {string.Join(", ", Searched)} (set NTK_DATA to its parent folder)");
        options ??= new LoadOptions();
        if (options.ImageSize is <= 0) throw new InputException($"data.image_size: must be positive, got {options.ImageSize}");
        var data = _load(Location, options);
        return options.ImageSize is { } size && (data.Height != size || data.Width != size) ? Resized(data, size) : data;
    }

    private static ImageDataset Resized(ImageDataset data, int size)
    {
        ImageSplit Resize(ImageSplit s)
        {
            var pixels = new byte[(long)s.Count * s.Channels * size * size];
            int outSize = s.Channels * size * size;
            for (int i = 0; i < s.Count; i++)
                AreaResize.Planes(s.Image(i), s.Channels, s.Height, s.Width, pixels.AsSpan(i * outSize, outSize), size, size);
            return new ImageSplit(pixels, s.Labels, s.Channels, size, size);
        }
        return data.KeepSuperclasses(new ImageDataset(data.Name, data.Source, data.ClassNames, Resize(data.Train), Resize(data.Test)));
    }
}

/// <summary>
/// Resolves a data set name or path to a loader. Names: embedded, fashion-mnist, mnist, cifar10, cifar100,
/// cifar100-coarse, cifar10-jpg. Each is looked for under the search roots: every folder in $NTK_DATA (':'-separated),
/// ../shared/data from the current folder and from the repository root, and /usr/share/datasets (Debian's
/// dataset-fashion-mnist). A path is recognised by its contents: cifar-10-batches-bin, cifar-100-binary, IDX files,
/// or an image folder / archive (see <see cref="ImageFolder"/>).
/// </summary>
public static class DataSets
{
    private sealed record Known(string Name, string Format, string Folder);

    private static readonly Known[] KnownSets =
    [
        new("embedded", "embedded Fashion-MNIST subset", ""),
        new("fashion-mnist", "IDX", "fashion-mnist"),
        new("mnist", "IDX", "mnist"),
        new("cifar10", "CIFAR-10 binary", "cifar-10-batches-bin"),
        new("cifar100", "CIFAR-100 binary (fine labels)", "cifar-100-binary"),
        new("cifar100-coarse", "CIFAR-100 binary (coarse labels)", "cifar-100-binary"),
        new("cifar10-jpg", "JPEG image folders", "cifar10-jpg"),
    ];

    /// <summary>The names the registry knows.</summary>
    public static IEnumerable<string> Names => KnownSets.Select(k => k.Name);

    /// <summary>The folders searched for named data sets, in order (existing or not).</summary>
    public static IReadOnlyList<string> SearchRoots()
    {
        var roots = new List<string>();
        if (Environment.GetEnvironmentVariable("NTK_DATA") is { Length: > 0 } env)
            roots.AddRange(env.Split(':', StringSplitOptions.RemoveEmptyEntries));
        roots.Add(Path.Combine(Directory.GetCurrentDirectory(), "..", "shared", "data"));
        foreach (string start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            if (RepositoryRoot(start) is { } repo) roots.Add(Path.Combine(repo, "..", "shared", "data"));
        roots.Add("/usr/share/datasets");
        return roots.Select(Path.GetFullPath).Distinct().ToList();
    }

    /// <summary>The nearest folder at or above <paramref name="start"/> holding NtkDynamics.slnx, or null.</summary>
    private static string? RepositoryRoot(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "NtkDynamics.slnx"))) return dir.FullName;
        return null;
    }

    /// <summary>Every known data set, found or not.</summary>
    public static IReadOnlyList<DataSource> List() => KnownSets.Select(Resolve).ToList();

    /// <summary>The data set with this name, or at this path (a directory or archive). Unknown names are an InputException.</summary>
    public static DataSource Find(string nameOrPath)
    {
        if (KnownSets.FirstOrDefault(k => k.Name == nameOrPath.ToLowerInvariant()) is { } known) return Resolve(known);
        if (File.Exists(nameOrPath) || Directory.Exists(nameOrPath)) return FromPath(Path.GetFullPath(nameOrPath));
        throw new InputException($"data.dataset: {nameOrPath} is neither a known data set ({string.Join(", ", Names)}) nor an existing path");
    }

    /// <summary>Finds and loads in one step.</summary>
    public static ImageDataset Load(string nameOrPath, LoadOptions? options = null) => Find(nameOrPath).Load(options);

    private static DataSource Resolve(Known k)
    {
        if (k.Name == "embedded") return new DataSource(k.Name, k.Format, "(inside the library)", [], (_, _) => EmbeddedData.Load());
        var searched = SearchRoots().Select(r => Path.Combine(r, k.Folder)).ToList();
        string? found = searched.FirstOrDefault(Directory.Exists);
        var loader = found is null ? null : Loader(found, k.Name);
        return new DataSource(k.Name, k.Format, loader is null ? null : found, searched, loader);
    }

    private static DataSource FromPath(string path)
    {
        string name = Path.GetFileName(path.TrimEnd('/'));
        var loader = Loader(path, name)
            ?? throw new InputException($"data.dataset: {path} is not a data set (expected a cifar-10-batches-bin or cifar-100-binary folder or a folder holding one, IDX files, <split>/<class>/*.jpg folders or a .tar[.gz] of them)");
        return new DataSource(name, FormatOf(path), path, [path], loader);
    }

    private static string FormatOf(string path)
    {
        string dir = CifarRoot(path) ?? path;
        return CifarBinary.IsCifar10(dir) ? "CIFAR-10 binary" : CifarBinary.IsCifar100(dir) ? "CIFAR-100 binary (fine labels)"
            : Idx.IsIdxDirectory(path) ? "IDX" : "JPEG image folders";
    }

    /// <summary>
    /// The cifar-10-batches-bin or cifar-100-binary folder inside <paramref name="path"/> (a torchvision-style root), or null;
    /// a root holding both is ambiguous.
    /// </summary>
    private static string? CifarRoot(string path)
    {
        if (!Directory.Exists(path) || CifarBinary.IsCifar10(path) || CifarBinary.IsCifar100(path)) return null;
        string[] inside = [.. new[] { "cifar-10-batches-bin", "cifar-100-binary" }.Select(f => Path.Combine(path, f)).Where(Directory.Exists)];
        if (inside.Length > 1)
            throw new InputException($"data.dataset: {path} holds both cifar-10-batches-bin and cifar-100-binary; name one of them (or use cifar10 / cifar100 with NTK_DATA={path})");
        return inside.Length == 1 ? inside[0] : null;
    }

    /// <summary>The loader for the data at <paramref name="path"/> by its contents, or null when it is none of the formats.</summary>
    private static Func<string, LoadOptions, ImageDataset>? Loader(string path, string name)
    {
        if (CifarRoot(path) is { } inner) return Loader(inner, name) is { } load ? (_, o) => load(inner, o) : null;
        if (Directory.Exists(path) && CifarBinary.IsCifar10(path)) return (p, _) => CifarBinary.LoadCifar10(p, name);
        if (Directory.Exists(path) && CifarBinary.IsCifar100(path)) return (p, _) => CifarBinary.LoadCifar100(p, coarse: name == "cifar100-coarse", name);
        if (Directory.Exists(path) && Idx.IsIdxDirectory(path))
            return (p, _) => Idx.LoadDirectory(p, name, name.Contains("fashion", StringComparison.OrdinalIgnoreCase) ? Idx.FashionMnistClasses
                : name.Equals("mnist", StringComparison.OrdinalIgnoreCase) ? Idx.DigitClasses : null);
        if (ImageFolder.IsImageFolder(path)) return (p, o) => LoadImageFolder(p, name, o);
        return null;
    }

    private static ImageDataset LoadImageFolder(string path, string name, LoadOptions o)
    {
        ImageDataset Decode() => ImageFolder.Load(path, name, o.ImageSize, o.Log);
        if (!o.UseCache) return Decode();
        string key = DecodedCache.Key($"image-folder|size={o.ImageSize}", ImageFolder.SourceFiles(path));
        return DecodedCache.GetOrLoad(o.CacheFolder ?? DecodedCache.DefaultFolder, key, name, path, Decode, o.Log);
    }
}
