using System.Buffers.Binary;
using System.Text;
using NtkDynamics.Tensors;

namespace NtkDynamics.Formats;

/// <summary>The tensors of a safetensors file with their stored dtypes, and its "__metadata__" strings.</summary>
public sealed record SafeTensorsFile(IReadOnlyDictionary<string, NdArray> Arrays, IReadOnlyDictionary<string, string> Metadata);

/// <summary>
/// The safetensors format: an 8-byte little-endian header length N, N bytes of JSON header
/// <c>{name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {str: str}}</c> padded with spaces to a
/// multiple of 8, then the raw little-endian C-order data. We write names (and metadata keys) in ordinal order, byte
/// for byte as /work/shared/bench/st_io.py does. Reading checks everything (offsets in range, contiguous, no overlap,
/// sizes matching shapes, known dtypes) and reports a problem as a one-line <see cref="InputException"/>.
/// Dtypes: F32, F64, I64, I32, U8, BOOL read and written as themselves; F16 and BF16 are read widened to float32.
/// </summary>
public static class SafeTensors
{
    private static readonly (string Name, DType Type)[] Stored =
    [
        ("F32", DType.Float32), ("F64", DType.Float64), ("I64", DType.Int64),
        ("I32", DType.Int32), ("U8", DType.UInt8), ("BOOL", DType.Bool),
    ];

    private const long MaxHeader = 100_000_000; // the reference implementation's limit

    /// <summary>Writes float32 tensors (dtype F32) atomically.</summary>
    public static void Write(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null) =>
        WriteArrays(path, tensors.ToDictionary(t => t.Key, t => NdArray.From(t.Value)), metadata);

    /// <summary>Writes typed arrays (F32, F64, I64, I32, U8, BOOL) atomically.</summary>
    public static void WriteArrays(string path, IReadOnlyDictionary<string, NdArray> arrays, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var names = arrays.Keys.Order(StringComparer.Ordinal).ToList();
        if (names.Contains(SafeTensorsHeader.MetadataKey))
            throw new ArgumentException($"a tensor may not be named {SafeTensorsHeader.MetadataKey}", nameof(arrays));
        var entries = new List<SafeTensorsEntry>();
        long offset = 0;
        foreach (var name in names)
        {
            var a = arrays[name];
            long end = offset + (long)a.Length * a.DType.ItemSize();
            entries.Add(new SafeTensorsEntry(name, Array.Find(Stored, s => s.Type == a.DType).Name, a.Shape, offset, end));
            offset = end;
        }
        var meta = (metadata ?? new Dictionary<string, string>()).OrderBy(m => m.Key, StringComparer.Ordinal).ToList();
        string json = SafeTensorsHeader.Format(entries, meta);
        byte[] header = Encoding.ASCII.GetBytes(json + new string(' ', (8 - json.Length % 8) % 8));
        AtomicFile.Write(path, s =>
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
            s.Write(length);
            s.Write(header);
            foreach (var name in names) RawData.Write(s, arrays[name].Data, arrays[name].DType.ItemSize());
        });
    }

    /// <summary>Reads every tensor as float32 (F64 rounded to nearest, integers and bools converted); see <see cref="ReadArrays"/> for exact dtypes.</summary>
    public static Dictionary<string, Tensor> Read(string path) =>
        ReadArrays(path).Arrays.ToDictionary(a => a.Key, a => a.Value.ToTensor());

    /// <summary>Reads every tensor with its stored dtype (F16/BF16 widened to float32), and the metadata.</summary>
    public static SafeTensorsFile ReadArrays(string path)
    {
        using var fs = RawData.OpenRead(path);
        Span<byte> prefix = stackalloc byte[8];
        if (fs.ReadAtLeast(prefix, 8, throwOnEndOfStream: false) < 8)
            throw Bad(path, $"{fs.Length} bytes is too short for a safetensors header");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength > MaxHeader || 8 + (long)headerLength > fs.Length)
            throw Bad(path, $"header length {headerLength} runs past the end of the {fs.Length}-byte file (not a safetensors file, or truncated)");
        var json = new byte[headerLength];
        fs.ReadExactly(json);
        var (entries, metadata) = SafeTensorsHeader.Parse(json, path);
        long bufferStart = 8 + (long)headerLength, bufferLength = fs.Length - bufferStart;

        var types = entries.Select(e => Check(e, bufferLength, path)).ToList();
        CheckCoverage(entries, bufferLength, path);
        var arrays = new Dictionary<string, NdArray>();
        for (int i = 0; i < entries.Count; i++)
        {
            fs.Position = bufferStart + entries[i].Begin;
            arrays[entries[i].Name] = ReadData(fs, entries[i], types[i], $"{path}: {entries[i].Name}");
        }
        return new SafeTensorsFile(arrays, metadata);
    }

    /// <summary>Checks an entry's dtype, offsets and size; returns the dtype it is read as.</summary>
    private static DType Check(SafeTensorsEntry e, long bufferLength, string path)
    {
        int i = Array.FindIndex(Stored, s => s.Name == e.DType);
        bool half = e.DType is "F16" or "BF16";
        if (i < 0 && !half)
            throw Bad(path, $"tensor '{e.Name}': unsupported dtype \"{e.DType}\" (expected one of {string.Join(", ", Stored.Select(s => s.Name))}, F16, BF16)");
        var type = half ? DType.Float32 : Stored[i].Type;
        long need = (long)RawData.Count(e.Shape, $"{path}: {e.Name}") * (half ? 2 : type.ItemSize());
        if (e.End < e.Begin || e.End > bufferLength)
            throw Bad(path, $"tensor '{e.Name}': data_offsets [{e.Begin}, {e.End}] outside the {bufferLength}-byte data buffer");
        if (e.End - e.Begin != need)
            throw Bad(path, $"tensor '{e.Name}': shape {Tensor.Format(e.Shape)} of {e.DType} needs {need} bytes, data_offsets give {e.End - e.Begin}");
        return type;
    }

    private static NdArray ReadData(Stream s, SafeTensorsEntry e, DType type, string source)
    {
        var array = NdArray.Zeros(type, e.Shape, source);
        if (e.DType is "F16" or "BF16")
        {
            var bits = new ushort[array.Length];
            RawData.Read(s, bits, 2);
            var f = (float[])array.Data;
            for (int i = 0; i < f.Length; i++)
                f[i] = e.DType == "F16" ? (float)BitConverter.UInt16BitsToHalf(bits[i]) : BitConverter.Int32BitsToSingle(bits[i] << 16);
            return array;
        }
        RawData.Read(s, array.Data, type.ItemSize());
        if (array.Data is bool[] flags) RawData.CheckBools(flags, source);
        return array;
    }

    /// <summary>The tensors must tile the data buffer exactly: no gap, no overlap, nothing left over.</summary>
    private static void CheckCoverage(List<SafeTensorsEntry> entries, long bufferLength, string path)
    {
        long at = 0;
        foreach (var e in entries.OrderBy(e => e.Begin).ThenBy(e => e.End))
        {
            if (e.Begin < at) throw Bad(path, $"tensor '{e.Name}': data_offsets [{e.Begin}, {e.End}] overlap the previous tensor (ending at {at})");
            if (e.Begin > at) throw Bad(path, $"tensor '{e.Name}': gap in the data buffer before it (bytes {at}..{e.Begin} unused)");
            at = e.End;
        }
        if (at != bufferLength) throw Bad(path, $"the data buffer has {bufferLength - at} bytes after the last tensor");
    }

    private static InputException Bad(string path, string what) => SafeTensorsHeader.Bad(path, what);
}
