using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace NtkDynamics.Data;

/// <summary>
/// A cache of decoded data sets on disk (uint8 arrays, the layout of <see cref="ImageSplit"/>), so a second load of
/// tens of thousands of JPEGs is a file read. The key is a hash of the loader's kind and settings and of the path,
/// size and modification time of every source file: touching a source invalidates the entry. A SHA-256 of the whole entry
/// is checked before it is used. Folder: $NTK_CACHE,
/// else ~/.cache/ntkdynamics. A damaged entry is a miss and is rewritten; a folder that cannot be written only logs.
/// </summary>
public static class DecodedCache
{
    private const string Magic = "NTKCACHE";
    private const int Version = 2;

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
    // then for train and test: int n, c, h, w, n int labels, n*c*h*w pixel bytes; then "END" and the SHA-256 of all before it.

    private static void Write(string file, string key, ImageDataset data)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        string temp = $"{file}.{Environment.ProcessId}.tmp";
        using (var stream = File.Create(temp))
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            using (var w = new BinaryWriter(new HashingStream(stream, hash), Encoding.UTF8, leaveOpen: true))
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
            stream.Write(hash.GetHashAndReset());
        }
        File.Move(temp, file, overwrite: true);
    }

    /// <summary>The cached data set, or null for a miss: no entry, another key or version, or any damage (the checksum is checked first).</summary>
    private static ImageDataset? TryRead(string file, string key, string name, string source)
    {
        if (!File.Exists(file)) return null;
        try
        {
            using var stream = File.OpenRead(file);
            long body = stream.Length - SHA256.HashSizeInBytes;
            if (body < Magic.Length + 4) return null;
            using (var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
            {
                var buffer = new byte[1 << 20];
                for (long left = body; left > 0;)
                {
                    int n = stream.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
                    if (n == 0) return null;
                    hash.AppendData(buffer, 0, n);
                    left -= n;
                }
                var stored = new byte[SHA256.HashSizeInBytes];
                stream.ReadExactly(stored);
                if (!hash.GetHashAndReset().AsSpan().SequenceEqual(stored)) return null;
            }
            stream.Position = 0;
            using var r = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
            if (Encoding.ASCII.GetString(r.ReadBytes(Magic.Length)) != Magic || r.ReadInt32() != Version || r.ReadString() != key) return null;
            long Left() => body - stream.Position;
            int classes = r.ReadInt32();
            if (classes < 0 || classes > Left()) return null;
            var names = new string[classes];
            for (int c = 0; c < names.Length; c++) names[c] = r.ReadString();
            var splits = new ImageSplit[2];
            for (int s = 0; s < 2; s++)
            {
                int n = r.ReadInt32(), ch = r.ReadInt32(), h = r.ReadInt32(), w = r.ReadInt32();
                if (n < 0 || ch <= 0 || h <= 0 || w <= 0 || 4L * n + (long)n * ch * h * w > Left()) return null;
                var labels = new int[n];
                for (int i = 0; i < n; i++) labels[i] = r.ReadInt32();
                var pixels = new byte[(long)n * ch * h * w];
                stream.ReadExactly(pixels);
                splits[s] = new ImageSplit(pixels, labels, ch, h, w);
            }
            if (Encoding.ASCII.GetString(r.ReadBytes(3)) != "END" || stream.Position != body) return null;
            return new ImageDataset(name, source, names, splits[0], splits[1]);
        }
        catch (Exception e) when (e is IOException or ArgumentException or InputException or OverflowException or FormatException)
        {
            return null;
        }
    }

    /// <summary>A write-only pass-through that hashes what it writes.</summary>
    private sealed class HashingStream(Stream inner, IncrementalHash hash) : Stream
    {
        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
        public override void Write(ReadOnlySpan<byte> buffer) { hash.AppendData(buffer); inner.Write(buffer); }
        public override void Flush() => inner.Flush();
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
