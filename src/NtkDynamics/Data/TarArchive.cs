using System.Text;

namespace NtkDynamics.Data;

/// <summary>One member of a tar archive: its path, its kind, and its bytes when it is a regular file that was asked for.</summary>
internal sealed record TarMember(string Name, TarMemberKind Kind, byte[]? Data);

internal enum TarMemberKind { File, Directory, Other }

/// <summary>
/// Reads a tar archive (ustar, GNU long names, pax extended headers) from a stream, checking every header before trusting it:
/// its checksum, its size field (octal or base-256) against what is left of an uncompressed archive, extended headers at most
/// 1 MiB, and the end-of-archive marker (two zero blocks), so a truncation between members is an error rather than silently
/// missing images. A member's data is read as it arrives, so a lying size can never make it allocate more than the archive
/// holds. Every problem is one <see cref="InputException"/> naming the archive and the member.
/// </summary>
internal static class TarArchive
{
    private const int Block = 512, MaxExtendedHeader = 1 << 20;

    /// <summary>
    /// The members of <paramref name="stream"/> (the archive <paramref name="archive"/>, <paramref name="length"/> bytes when
    /// uncompressed, else null); the data of regular files for which <paramref name="wanted"/> says yes is read, the rest skipped.
    /// </summary>
    public static IEnumerable<TarMember> Members(Stream stream, string archive, long? length, Func<string, bool> wanted)
    {
        var header = new byte[Block];
        string last = "(start)";
        long at = 0;
        string? longName = null;
        Dictionary<string, string>? pax = null;
        while (true)
        {
            if (!ReadBlock(stream, header, ref at))
                throw new InputException($"{archive}: archive is truncated after entry {last} (no end-of-archive marker)");
            if (header.All(b => b == 0))
            {
                if (!ReadBlock(stream, header, ref at) || header.Any(b => b != 0))
                    throw new InputException($"{archive}: archive is truncated or damaged after entry {last} (one zero block, not the two of the end-of-archive marker)");
                yield break;
            }
            CheckSum(header, archive, last);
            char type = (char)header[156];
            long size = Size(header, archive, last);
            if (length is long total && size > total - at)
                throw new InputException($"{archive}: entry after {last} claims {size} bytes but only {total - at} are left in the archive");
            string name = pax?.GetValueOrDefault("path") ?? longName ?? HeaderName(header);
            if (pax?.GetValueOrDefault("size") is { } paxSize)
                size = long.TryParse(paxSize, out long s) && s >= 0 && (length is not long all || s <= all - at) ? s
                    : throw new InputException($"{archive}: pax size '{paxSize}' of entry {name} is not a size that fits the archive");
            if (type is 'x' or 'g' or 'L' or 'K')
            {
                if (size > MaxExtendedHeader) throw new InputException($"{archive}: extended header of {size} bytes after entry {last} (at most {MaxExtendedHeader})");
                byte[] data = ReadData(stream, size, archive, last, ref at);
                if (type == 'x') pax = Pax(data, archive, last);
                else if (type == 'L') longName = Encoding.UTF8.GetString(data).TrimEnd('\0');
                continue;
            }
            last = name;
            var kind = type is '0' or '\0' or '7' ? TarMemberKind.File : type == '5' ? TarMemberKind.Directory : TarMemberKind.Other;
            byte[]? bytes = kind == TarMemberKind.File && wanted(name) ? ReadData(stream, size, archive, name, ref at) : null;
            if (bytes is null) Skip(stream, Padded(size), archive, name, ref at);
            longName = null;
            pax = null;
            yield return new TarMember(name, kind, bytes);
        }
    }

    private static bool ReadBlock(Stream s, byte[] block, ref long at)
    {
        int n = s.ReadAtLeast(block, Block, throwOnEndOfStream: false);
        at += n;
        return n == Block;
    }

    private static void CheckSum(byte[] h, string archive, string last)
    {
        string field = Encoding.ASCII.GetString(h, 148, 8).Trim(' ', '\0');
        long stored;
        try { stored = field.Length == 0 ? -1 : Convert.ToInt64(field, 8); }
        catch (Exception e) when (e is FormatException or ArgumentException or OverflowException) { stored = -1; }
        long unsigned = 0, signed = 0;
        for (int i = 0; i < Block; i++)
        {
            byte b = i is >= 148 and < 156 ? (byte)' ' : h[i];
            unsigned += b;
            signed += (sbyte)b;
        }
        if (stored != unsigned && stored != signed)
            throw new InputException($"{archive}: the header after entry {last} has a bad checksum (damaged archive, or not a tar)");
    }

    /// <summary>The size field: octal digits, or base-256 when the first byte has its top bit set (GNU).</summary>
    private static long Size(byte[] h, string archive, string last)
    {
        if ((h[124] & 0x80) != 0)
        {
            if (h[124] != 0x80 || h.AsSpan(125, 3).IndexOfAnyExcept((byte)0) >= 0)
                throw new InputException($"{archive}: the entry after {last} has a negative or huge base-256 size");
            long v = 0;
            for (int i = 128; i < 136; i++) v = (v << 8) | h[i];
            return v >= 0 ? v : throw new InputException($"{archive}: the entry after {last} has a huge size");
        }
        string field = Encoding.ASCII.GetString(h, 124, 12).Trim(' ', '\0');
        try { return field.Length == 0 ? 0 : Convert.ToInt64(field, 8) is var v and >= 0 ? v : throw new OverflowException(); }
        catch (Exception e) when (e is FormatException or ArgumentException or OverflowException)
        {
            throw new InputException($"{archive}: the entry after {last} has size field '{field}', not an octal number");
        }
    }

    private static string HeaderName(byte[] h)
    {
        static string Text(byte[] h, int start, int length)
        {
            int end = Array.IndexOf(h, (byte)0, start, length);
            return Encoding.UTF8.GetString(h, start, (end < 0 ? start + length : end) - start);
        }
        string name = Text(h, 0, 100);
        bool ustar = Encoding.ASCII.GetString(h, 257, 5) == "ustar";
        string prefix = ustar ? Text(h, 345, 155) : "";
        return prefix.Length > 0 ? $"{prefix}/{name}" : name;
    }

    /// <summary>Pax records "LEN key=value\n".</summary>
    private static Dictionary<string, string> Pax(byte[] data, string archive, string last)
    {
        var records = new Dictionary<string, string>();
        int at = 0;
        while (at < data.Length && data[at] != 0)
        {
            int space = Array.IndexOf(data, (byte)' ', at);
            if (space < 0 || !int.TryParse(Encoding.ASCII.GetString(data, at, space - at), out int len) || len <= space - at || at + len > data.Length || data[at + len - 1] != '\n')
                throw new InputException($"{archive}: a damaged pax extended header after entry {last}");
            string record = Encoding.UTF8.GetString(data, space + 1, at + len - space - 2);
            int eq = record.IndexOf('=');
            if (eq <= 0) throw new InputException($"{archive}: a pax record without a key after entry {last}");
            records[record[..eq]] = record[(eq + 1)..];
            at += len;
        }
        return records;
    }

    /// <summary>Reads <paramref name="size"/> bytes as they come (never allocating more than arrived) and the padding after them.</summary>
    private static byte[] ReadData(Stream s, long size, string archive, string member, ref long at)
    {
        if (size > Array.MaxLength) throw new InputException($"{archive}: entry {member} of {size} bytes is too large to read");
        var data = new MemoryStream();
        var buffer = new byte[64 * 1024];
        for (long left = size; left > 0;)
        {
            int n = s.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
            if (n == 0) throw new InputException($"{archive}: archive is truncated inside entry {member}");
            data.Write(buffer, 0, n);
            left -= n;
        }
        at += size;
        Skip(s, Padded(size) - size, archive, member, ref at);
        return data.ToArray();
    }

    private static long Padded(long size) => (size + Block - 1) / Block * Block;

    private static void Skip(Stream s, long count, string archive, string member, ref long at)
    {
        var buffer = new byte[Block * 16];
        for (long left = count; left > 0;)
        {
            int n = s.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
            if (n == 0) throw new InputException($"{archive}: archive is truncated inside entry {member}");
            left -= n;
        }
        at += count;
    }
}
