using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace NtkDynamics.Formats;

/// <summary>Copies typed arrays to and from streams as their raw little-endian bytes, in chunks (arrays may exceed 2 GiB of bytes).</summary>
internal static class RawData
{
    private const int Chunk = 1 << 24;

    /// <summary>Writes all of <paramref name="data"/> (a primitive array of <paramref name="itemSize"/>-byte elements).</summary>
    public static void Write(Stream s, Array data, int itemSize)
    {
        CheckLittleEndian();
        for (long at = 0, total = (long)data.Length * itemSize; at < total; at += Chunk)
            s.Write(Bytes(data, at, (int)Math.Min(Chunk, total - at)));
    }

    /// <summary>Fills all of <paramref name="data"/> from the stream; throws EndOfStreamException if it ends first.</summary>
    public static void Read(Stream s, Array data, int itemSize)
    {
        CheckLittleEndian();
        for (long at = 0, total = (long)data.Length * itemSize; at < total; at += Chunk)
            s.ReadExactly(Bytes(data, at, (int)Math.Min(Chunk, total - at)));
    }

    /// <summary>Opens a file for reading; a missing file is an <see cref="InputException"/>.</summary>
    internal static FileStream OpenRead(string path)
    {
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new InputException($"{path}: no such file");
        }
        catch (UnauthorizedAccessException)
        {
            throw new InputException($"{path}: {(Directory.Exists(path) ? "is a folder, not a file" : "permission denied")}");
        }
    }

    /// <summary>The element count of a shape read from a file; one too large for an array is an <see cref="InputException"/>.</summary>
    internal static int Count(int[] shape, string source)
    {
        if (shape.Contains(0)) return 0;
        long n = 1;
        foreach (int d in shape)
            if ((n *= d) > Array.MaxLength)
                throw new InputException($"{source}: shape [{string.Join(", ", shape)}] has more elements than one array holds");
        return (int)n;
    }

    /// <summary>Rejects bool bytes other than 0 and 1.</summary>
    internal static void CheckBools(bool[] flags, string source)
    {
        int bad = MemoryMarshal.AsBytes(flags.AsSpan()).IndexOfAnyExcept((byte)0, (byte)1);
        if (bad >= 0) throw new InputException($"{source}: bool element {bad} is neither 0 nor 1");
    }

    /// <summary>The bytes of a primitive array (at most 2 GiB of them): its elements as stored, little-endian here.</summary>
    internal static Span<byte> AsBytes(Array data, int itemSize)
    {
        CheckLittleEndian();
        return Bytes(data, 0, checked(data.Length * itemSize));
    }

    private static Span<byte> Bytes(Array data, long offset, int length) =>
        MemoryMarshal.CreateSpan(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(data), (nint)offset), length);

    private static void CheckLittleEndian()
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("the .npy and safetensors code assumes a little-endian machine");
    }
}
