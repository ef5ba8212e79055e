using System.IO.Compression;
using System.Text;
using System.Text.RegularExpressions;
using FsCheck;
using FsCheck.Fluent;

namespace NtkDynamics.Tests.Fuzz;

/// <summary>How a header value is stored, so a wrong value can be written in its place.</summary>
internal enum FieldEncoding { BigEndian, LittleEndian, Text, Octal }

/// <summary>A header value of a file: its place and encoding.</summary>
internal sealed record Field(int Offset, int Length, FieldEncoding Encoding);

/// <summary>
/// One file of a reader's input: where it is inside the case folder, how its header values are found, whether it is gzipped
/// (a mutation is then applied either to the compressed bytes or to the plain bytes, compressed again), and a fix-up run after a
/// header mutation (a tar header's checksum recomputed, so the reader sees the lying value rather than a bad checksum).
/// </summary>
internal sealed record FuzzFile(string Path, Func<byte[], List<Field>> Fields, bool Gzipped = false, Func<byte[], int, byte[]>? FixUp = null);

/// <summary>
/// A mutation of one input file: truncate, flip bits, write a wrong header value, overwrite a run of bytes, or append garbage.
/// All positions are drawn as plain numbers and taken modulo the file's length, so one generator serves every file.
/// </summary>
internal sealed record Mutation(int File, int Kind, int A, int B, int C, bool Plain, bool FixUp)
{
    private static readonly string[] Values =
    [
        "0", "1", "-1", "2", "7", "255", "256", "65535", "2147483647", "2147483648", "-2147483648", "4294967295", "9223372036854775807",
        "18446744073709551615", "99999999999999999999999", "1e308", "-1e308", "1.5", "NaN", "Infinity", "null", "true", "\"x\"", "[]", "{}", "",
        "[1, 2]", "{a: 1}", "'", "\"", "&a", "*a", "!!binary", "- x", ": :", "\n  bad: [", "0x10", "1/0", "((((1))))",
    ];

    public override string ToString() => $"file {File} kind {Kind} ({A}, {B}, {C}) plain {Plain} fix-up {FixUp}";

    public static Gen<Mutation> Generator(int files) =>
        from file in Gen.Choose(0, files - 1)
        from kind in Gen.Choose(0, 4)
        from a in Gen.Choose(0, int.MaxValue)
        from b in Gen.Choose(0, int.MaxValue)
        from c in Gen.Choose(0, int.MaxValue)
        from plain in Gen.Elements(true, false)
        from fix in Gen.Elements(true, false)
        select new Mutation(file, kind, a, b, c, plain, fix);

    /// <summary>The mutated bytes of <paramref name="file"/> whose pristine content is <paramref name="pristine"/>.</summary>
    public byte[] Apply(FuzzFile file, byte[] pristine)
    {
        if (file.Gzipped && Plain) return Gzip(Mutate(file, Gunzip(pristine)));
        return Mutate(file, pristine);
    }

    private byte[] Mutate(FuzzFile file, byte[] bytes)
    {
        var rng = new Random(C);
        switch (Kind)
        {
            case 0: // truncate, often near the end or the start
                return bytes[..(B % 3 == 0 ? A % (Math.Min(bytes.Length, 64) + 1) : A % (bytes.Length + 1))];
            case 1: // flip 1-3 bits
            {
                var copy = (byte[])bytes.Clone();
                if (copy.Length == 0) return copy;
                for (int k = 0; k <= B % 3; k++) copy[(A + k * rng.Next(1, 64)) % copy.Length] ^= (byte)(1 << rng.Next(8));
                return copy;
            }
            case 2: // a wrong header value
            {
                var fields = file.Fields(bytes);
                if (fields.Count == 0) goto case 1;
                var f = fields[A % fields.Count];
                var result = Write(bytes, f, B, rng);
                return FixUp && file.FixUp is { } fix ? fix(result, f.Offset) : result;
            }
            case 3: // overwrite a run of bytes with random ones
            {
                var copy = (byte[])bytes.Clone();
                if (copy.Length == 0) return copy;
                int at = A % copy.Length, n = Math.Min(1 + B % 32, copy.Length - at);
                rng.NextBytes(copy.AsSpan(at, n));
                return copy;
            }
            default: // append garbage, or a copy of part of the file
            {
                byte[] tail = B % 2 == 0 ? bytes[(A % (bytes.Length + 1))..] : [.. Enumerable.Range(0, 1 + A % 600).Select(_ => (byte)rng.Next(256))];
                return [.. bytes, .. tail];
            }
        }
    }

    private static byte[] Write(byte[] bytes, Field f, int pick, Random rng)
    {
        if (f.Encoding == FieldEncoding.Text)
        {
            string value = pick % 4 == 0 ? rng.NextInt64(long.MinValue, long.MaxValue).ToString() : Values[pick % Values.Length];
            return [.. bytes[..f.Offset], .. System.Text.Encoding.UTF8.GetBytes(value), .. bytes[(f.Offset + f.Length)..]];
        }
        ulong[] interesting = [0, 1, 2, 0x7F, 0x80, 0xFF, 0x7FFF, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, ulong.MaxValue, ulong.MaxValue >> 1];
        ulong v = pick % 3 == 0 ? (ulong)rng.NextInt64() : interesting[pick % interesting.Length];
        var copy = (byte[])bytes.Clone();
        var span = copy.AsSpan(f.Offset, f.Length);
        switch (f.Encoding)
        {
            case FieldEncoding.Octal:
                string octal = Convert.ToString((long)(v & 0x7FFFFFFFFFFFFFFF), 8).PadLeft(f.Length - 1, '0');
                System.Text.Encoding.ASCII.GetBytes(octal[^(f.Length - 1)..]).CopyTo(span);
                span[^1] = 0;
                break;
            case FieldEncoding.BigEndian:
                for (int i = 0; i < f.Length; i++) span[f.Length - 1 - i] = (byte)(v >> (8 * i));
                break;
            default:
                for (int i = 0; i < f.Length; i++) span[i] = (byte)(v >> (8 * i));
                break;
        }
        return copy;
    }

    public static byte[] Gzip(byte[] data)
    {
        var output = new MemoryStream();
        using (var gz = new GZipStream(output, CompressionLevel.Fastest)) gz.Write(data);
        return output.ToArray();
    }

    public static byte[] Gunzip(byte[] data)
    {
        using var gz = new GZipStream(new MemoryStream(data), CompressionMode.Decompress);
        var plain = new MemoryStream();
        gz.CopyTo(plain);
        return plain.ToArray();
    }

    /// <summary>The numbers and words of a text (or of a binary file's text parts) as text fields.</summary>
    public static List<Field> Tokens(byte[] bytes, int start = 0, int length = int.MaxValue)
    {
        string text = System.Text.Encoding.Latin1.GetString(bytes, start, Math.Min(length, bytes.Length - start));
        return [.. Regex.Matches(text, @"-?\d+(\.\d+)?([eE][-+]?\d+)?|[A-Za-z_][A-Za-z_0-9.]*|[\[\]{}:,'""]")
            .Select(m => new Field(start + m.Index, m.Length, FieldEncoding.Text))];
    }
}

/// <summary>
/// Runs a fuzz property over one reader: the valid inputs are written once into a folder; each case writes one mutated file,
/// reads, and restores the file. A case passes when the read succeeds or throws an <see cref="InputException"/> whose message is
/// one line naming a path in the case's folder; it fails on any other exception, on taking longer than the timeout, or on
/// allocating more than the bound (a lying header must be checked against the file's length before anything is allocated).
/// </summary>
internal sealed class Fuzzer(string folder, IReadOnlyList<FuzzFile> files, Action<string> read)
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    public const long AllocationBound = 256L << 20;

    public int Cases { get; private set; }
    public int Rejected { get; private set; }
    public long MostAllocated { get; private set; }
    public SortedDictionary<string, int> Messages { get; } = [];

    /// <summary>Runs <paramref name="cases"/> cases from a fixed seed; FsCheck reports (and shrinks) the first failing one.</summary>
    public void Run(int cases, ulong seed)
    {
        var pristine = files.Select(f => File.ReadAllBytes(Path.Combine(folder, f.Path))).ToArray();
        read(folder); // the valid input reads
        var property = Prop.ForAll(Mutation.Generator(files.Count).ToArbitrary(), m => Case(m, pristine));
        try { property.Check(Config.QuickThrowOnFailure.WithMaxTest(cases).WithReplay(seed, 0x9E3779B97F4A7C15UL).WithQuietOnSuccess(true)); }
        catch (Exception e) when (FirstFailure is not null) { throw new InvalidOperationException($"{FirstFailure}\n{e.Message}", e); }
    }

    /// <summary>The first failing case's description (FsCheck then shrinks, which may end elsewhere).</summary>
    public string? FirstFailure { get; private set; }

    private bool Case(Mutation m, byte[][] pristine)
    {
        try { return Check(m, pristine); }
        catch (InvalidOperationException e)
        {
            FirstFailure ??= e.Message;
            throw;
        }
    }

    private bool Check(Mutation m, byte[][] pristine)
    {
        var file = files[m.File];
        string path = Path.Combine(folder, file.Path);
        File.WriteAllBytes(path, m.Apply(file, pristine[m.File]));
        Cases++;
        try
        {
            Exception? error = null;
            long allocated = 0;
            var worker = new Thread(() =>
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                try { read(folder); }
                catch (Exception e) { error = e; }
                allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            }, 16 << 20);
            worker.Start();
            if (!worker.Join(Timeout)) throw new InvalidOperationException($"{m}: the read of {file.Path} did not end within {Timeout.TotalSeconds} s");
            MostAllocated = Math.Max(MostAllocated, allocated);
            if (allocated > AllocationBound)
                throw new InvalidOperationException($"{m}: reading the mutated {file.Path} allocated {allocated >> 20} MiB");
            if (error is null) return true;
            if (error is not InputException)
                throw new InvalidOperationException($"{m}: {file.Path} gave {error.GetType().Name} instead of an InputException: {error}");
            if (error.Message.Contains('\n') || error.Message.Contains('\r'))
                throw new InvalidOperationException($"{m}: {file.Path} gave a message of several lines: {error.Message}");
            if (!error.Message.Contains(folder))
                throw new InvalidOperationException($"{m}: {file.Path} gave a message naming no file: {error.Message}");
            Rejected++;
            string kind = Regex.Replace(error.Message.Replace(folder, ""), @"\d+", "N");
            Messages[kind[..Math.Min(kind.Length, 90)]] = Messages.GetValueOrDefault(kind[..Math.Min(kind.Length, 90)]) + 1;
            return true;
        }
        finally { File.WriteAllBytes(path, pristine[m.File]); }
    }

    /// <summary>A line for the report: cases, rejections, the largest allocation and the commonest messages.</summary>
    public string Summary(string name) =>
        $"{name}: {Cases} cases, {Rejected} rejected with an InputException, {Cases - Rejected} read, at most {MostAllocated / 1024} KiB allocated; " +
        $"{Messages.Count} kinds of message, e.g. {string.Join(" | ", Messages.OrderByDescending(kv => kv.Value).Take(3).Select(kv => kv.Key))}";
}
