namespace NtkDynamics.Data;

/// <summary>
/// A read-only pass-through stream that remembers the last 1024 bytes read, to check that a tar archive ends with its
/// end-of-archive marker (two zero blocks). .NET's GZipStream and TarReader both stop quietly at a truncation that falls
/// between entries; this check turns that into an error instead of silently missing images.
/// </summary>
internal sealed class TarEndCheck(Stream inner) : Stream
{
    private const int Marker = 1024;
    private readonly byte[] _tail = new byte[Marker];
    private long _count;

    /// <summary>Reads what is left and reports whether the stream ended with 1024 zero bytes.</summary>
    public bool EndsWithMarker()
    {
        CopyTo(Null);
        return _count >= Marker && _tail.All(b => b == 0);
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int n = inner.Read(buffer);
        var read = buffer[..n];
        if (n >= Marker) read[^Marker..].CopyTo(_tail);
        else if (n > 0)
        {
            _tail.AsSpan(n).CopyTo(_tail);
            read.CopyTo(_tail.AsSpan(Marker - n));
        }
        _count += n;
        return n;
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _count; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}
