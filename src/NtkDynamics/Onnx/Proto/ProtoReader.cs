using Google.Protobuf;

namespace NtkDynamics.Onnx.Proto;

/// <summary>
/// Reads protobuf messages field by field with Google.Protobuf's <see cref="CodedInputStream"/>, over one byte array.
/// A nested message is the byte range [position, end) after its length prefix, read in place (no copies, no limits to
/// push). Every read checks the wire type it expects; a mismatch, a field that runs past the end of its message or a
/// truncated file throws <see cref="FormatException"/> (Google.Protobuf's own errors are
/// <see cref="InvalidProtocolBufferException"/>).
/// </summary>
internal sealed class ProtoReader(byte[] data)
{
    private readonly CodedInputStream _in = new(data);
    private uint _tag;

    private WireFormat.WireType Wire => WireFormat.GetTagWireType(_tag);
    private int Number => WireFormat.GetTagFieldNumber(_tag);

    /// <summary>The field numbers of the message ending at byte <paramref name="end"/>, in order. For each, the caller
    /// reads the value with one of the methods below or calls <see cref="Skip"/>.</summary>
    public IEnumerable<int> Fields(long end)
    {
        while (_in.Position < end)
        {
            _tag = _in.ReadTag();
            yield return Number;
        }
        if (_in.Position != end) throw new FormatException($"a field runs past the end of its message at byte {end}");
    }

    /// <summary>The fields of the whole buffer (the top-level message).</summary>
    public IEnumerable<int> Fields() => Fields(data.Length);

    public void Skip() => _in.SkipLastField();

    public long Int64()
    {
        Expect(WireFormat.WireType.Varint);
        return _in.ReadInt64();
    }

    public float Float()
    {
        Expect(WireFormat.WireType.Fixed32);
        return _in.ReadFloat();
    }

    public string String()
    {
        Expect(WireFormat.WireType.LengthDelimited);
        return _in.ReadString();
    }

    public ByteString Bytes()
    {
        Expect(WireFormat.WireType.LengthDelimited);
        return _in.ReadBytes();
    }

    /// <summary>A nested message: <paramref name="read"/> gets this reader and the message's end.</summary>
    public T Message<T>(Func<ProtoReader, long, T> read)
    {
        Expect(WireFormat.WireType.LengthDelimited);
        int length = _in.ReadLength();
        long end = _in.Position + length;
        if (end > data.Length) throw new FormatException($"a message of field {Number} runs past the end of the file (truncated?)");
        return read(this, end);
    }

    /// <summary>Appends a repeated int64 field, packed (one length-delimited run) or not (one value per tag).</summary>
    public void Int64s(List<long> into)
    {
        if (Wire != WireFormat.WireType.LengthDelimited)
        {
            into.Add(Int64());
            return;
        }
        int length = _in.ReadLength();
        long end = _in.Position + length;
        if (end > data.Length) throw new FormatException($"packed field {Number} runs past the end of the file (truncated?)");
        while (_in.Position < end) into.Add(_in.ReadInt64());
        if (_in.Position != end) throw new FormatException($"packed field {Number} runs past its length");
    }

    /// <summary>Appends a repeated float field, packed (little-endian fixed32 values in one run) or not.</summary>
    public void Floats(List<float> into)
    {
        if (Wire != WireFormat.WireType.LengthDelimited)
        {
            into.Add(Float());
            return;
        }
        var bytes = _in.ReadBytes().Span;
        if (bytes.Length % 4 != 0) throw new FormatException($"packed float field {Number} has {bytes.Length} bytes, not a multiple of 4");
        into.AddRange(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes));
    }

    /// <summary>Appends a repeated double field, packed or not.</summary>
    public void Doubles(List<double> into)
    {
        if (Wire != WireFormat.WireType.LengthDelimited)
        {
            Expect(WireFormat.WireType.Fixed64);
            into.Add(_in.ReadDouble());
            return;
        }
        var bytes = _in.ReadBytes().Span;
        if (bytes.Length % 8 != 0) throw new FormatException($"packed double field {Number} has {bytes.Length} bytes, not a multiple of 8");
        into.AddRange(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, double>(bytes));
    }

    private void Expect(WireFormat.WireType wire)
    {
        if (Wire != wire) throw new FormatException($"field {Number} has wire type {Wire}, expected {wire}");
    }
}
