using System.Buffers.Binary;
using System.Text;
using NtkDynamics.Tensors;

namespace NtkDynamics.Formats;

/// <summary>
/// numpy's .npy format: C order, little-endian. Writes format 1.0 byte-identical to numpy's np.save (float32, float64,
/// int64, uint8, also int32 and bool); reads format 1.0, 2.0 and 3.0 of those dtypes, any shape including 0-d.
/// A malformed file throws a one-line <see cref="InputException"/> naming the file and the problem.
/// </summary>
public static class Npy
{
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];
    private const int MaxHeader = 1 << 20;

    /// <summary>Writes <paramref name="array"/> atomically (temp file + rename).</summary>
    public static void Write(string path, NdArray array)
    {
        byte[] header = Encoding.ASCII.GetBytes(NpyHeader.Format(array.DType, array.Shape));
        AtomicFile.Write(path, s =>
        {
            s.Write(Magic);
            Span<byte> prefix = [1, 0, 0, 0];
            BinaryPrimitives.WriteUInt16LittleEndian(prefix[2..], checked((ushort)header.Length));
            s.Write(prefix);
            s.Write(header);
            RawData.Write(s, array.Data, array.DType.ItemSize());
        });
    }

    public static void Write(string path, float[] data, params int[] shape) => Write(path, new NdArray(data, shape));
    public static void Write(string path, double[] data, params int[] shape) => Write(path, new NdArray(data, shape));
    public static void Write(string path, long[] data, params int[] shape) => Write(path, new NdArray(data, shape));
    public static void Write(string path, byte[] data, params int[] shape) => Write(path, new NdArray(data, shape));

    /// <summary>Writes a tensor as float32 with its shape.</summary>
    public static void Write(string path, Tensor tensor) => Write(path, NdArray.From(tensor));

    /// <summary>Reads a .npy file; the result's <see cref="NdArray.Source"/> is <paramref name="path"/>.</summary>
    public static NdArray Read(string path)
    {
        using var fs = RawData.OpenRead(path);
        Span<byte> prefix = stackalloc byte[12];
        if (fs.ReadAtLeast(prefix[..10], 10, throwOnEndOfStream: false) < 10 || !prefix[..6].SequenceEqual(Magic))
            throw Bad(path, "not a .npy file (no \\x93NUMPY magic)");
        int major = prefix[6];
        long headerLength;
        if (major == 1)
            headerLength = BinaryPrimitives.ReadUInt16LittleEndian(prefix[8..]);
        else if (major is 2 or 3 && fs.ReadAtLeast(prefix[10..], 2, throwOnEndOfStream: false) == 2)
            headerLength = BinaryPrimitives.ReadUInt32LittleEndian(prefix[8..]);
        else
            throw Bad(path, $"unsupported .npy format version {major}.{prefix[7]} (or truncated)");
        long dataStart = fs.Position + headerLength;
        if (headerLength > MaxHeader || dataStart > fs.Length)
            throw Bad(path, $"header length {headerLength} runs past the end of the {fs.Length}-byte file");
        var headerBytes = new byte[headerLength];
        fs.ReadExactly(headerBytes);
        string text = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(headerBytes);
        var (dtype, shape) = NpyHeader.Parse(text, path);

        long need = (long)RawData.Count(shape, path) * dtype.ItemSize(), have = fs.Length - dataStart;
        if (have != need)
            throw Bad(path, $"{(have < need ? "truncated" : "trailing bytes")}: shape {Tensor.Format(shape)} of {dtype.Name()} needs {need} data bytes, file has {have}");
        var array = NdArray.Zeros(dtype, shape, path);
        RawData.Read(fs, array.Data, dtype.ItemSize());
        if (array.Data is bool[] flags) RawData.CheckBools(flags, path);
        return array;
    }

    private static InputException Bad(string path, string what) => new($"{path}: {what}");
}
