using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace NtkDynamics.Data;

/// <summary>
/// A cache of decoded data sets on disk (uint8 arrays, the layout of <see cref="ImageSplit"/>), so a second load of
/// tens of thousands of JPEGs is a file read. The key is a hash of the loader's kind and settings and of the path,
/// size and modification time of every source file: touching a source invalidates the entry. Folder: $NTK_CACHE,
/// else ~/.cache/ntkdynamics. A damaged entry is a miss and is rewritten; a folder that cannot be written only logs.
/// </summary>
public static class DecodedCache
{
    private const string Magic = "NTKCACHE";
    private const int Version = 1;

    /// <summary>$NTK_CACHE, else ~/.cache/ntkdynamics.</summary>
    public static string DefaultFolder =>
        Environment.GetEnvironmentVariable("NTK_CACHE") is { Length: > 0 } env ? env
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "ntkdynamics");

    /// <summary>The key for <paramref name="settings"/> and the current size and modification time of <paramref name="sources"/>.</summary>
    public static string Key(string settings, IEnumerable<string> sources)
    {
        var text = new StringBuilder($"v{Version}|{settings}\n");
        foreach (string path in sources)
        {
            var info = new FileInfo(path);
            text.Append(path).Append('|').Append(info.Exists ? info.Length : -1).Append('|').Append(File.GetLastWriteTimeUtc(path).Ticks).Append('\n');
        }
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    /// <summary>
    /// The cached data set for <paramref name="key"/> in <paramref name="folder"/> (named <paramref name="name"/>, from
    /// <paramref name="source"/>), or else <paramref name="load"/>'s result, which is then cached.
    /// </summary>
    public static ImageDataset GetOrLoad(string folder, string key, string name, string source, Func<ImageDataset> load, Action<string>? log = null)
    {
        string file = Path.Combine(folder, key + ".ntkcache");
        var watch = Stopwatch.StartNew();
        if (TryRead(file, key, name, source) is { } cached)
        {
            log?.Invoke($"read decoded cache {file} in {watch.Elapsed.TotalSeconds:F2} s");
            return cached;
        }
        var dataset = load();
        try
        {
            Write(file, key, dataset);
            log?.Invoke($"wrote decoded cache {file}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log?.Invoke($"could not write the decoded cache {file}: {e.Message}");
        }
        return dataset;
    }

    // File layout (little-endian): "NTKCACHE", int version, string key, int classes, class names,
    // then for train and test: int n, c, h, w, n int labels, n*c*h*w pixel bytes; then "END".

    private static void Write(string file, string key, ImageDataset data)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        string temp = $"{file}.{Environment.ProcessId}.tmp";
        using (var w = new BinaryWriter(File.Create(temp)))
        {
            w.Write(Encoding.ASCII.GetBytes(Magic));
            w.Write(Version);
            w.Write(key);
            w.Write(data.NumClasses);
            foreach (string c in data.ClassNames) w.Write(c);
            foreach (var split in new[] { data.Train, data.Test })
            {
                w.Write(split.Count); w.Write(split.Channels); w.Write(split.Height); w.Write(split.Width);
                foreach (int y in split.Labels) w.Write(y);
                w.Write(split.Pixels);
            }
            w.Write(Encoding.ASCII.GetBytes("END"));
        }
        File.Move(temp, file, overwrite: true);
    }

    private static ImageDataset? TryRead(string file, string key, string name, string source)
    {
        if (!File.Exists(file)) return null;
        try
        {
            using var r = new BinaryReader(File.OpenRead(file));
            if (Encoding.ASCII.GetString(r.ReadBytes(Magic.Length)) != Magic || r.ReadInt32() != Version || r.ReadString() != key) return null;
            var classes = new string[r.ReadInt32()];
            for (int c = 0; c < classes.Length; c++) classes[c] = r.ReadString();
            var splits = new ImageSplit[2];
            for (int s = 0; s < 2; s++)
            {
                int n = r.ReadInt32(), ch = r.ReadInt32(), h = r.ReadInt32(), w = r.ReadInt32();
                var labels = new int[n];
                for (int i = 0; i < n; i++) labels[i] = r.ReadInt32();
                var pixels = new byte[(long)n * ch * h * w];
                r.BaseStream.ReadExactly(pixels);
                splits[s] = new ImageSplit(pixels, labels, ch, h, w);
            }
            if (Encoding.ASCII.GetString(r.ReadBytes(3)) != "END" || r.BaseStream.Position != r.BaseStream.Length) return null;
            return new ImageDataset(name, source, classes, splits[0], splits[1]);
        }
        catch (Exception e) when (e is IOException or ArgumentException or InputException or OverflowException)
        {
            return null;
        }
    }
}
