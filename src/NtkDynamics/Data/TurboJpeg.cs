using System.Runtime.InteropServices;

namespace NtkDynamics.Data;

/// <summary>
/// JPEG decoding (and encoding, for tests) through libjpeg-turbo's TurboJPEG library (Debian libturbojpeg0,
/// libturbojpeg.so.0) by P/Invoke. Debian's 2.1.5 has no tj3 API, so this uses tjDecompress2/tjCompress2, which the
/// 3.x library still exports. One instance holds one TurboJPEG handle: use one per thread.
/// </summary>
public sealed partial class TurboJpeg : IDisposable
{
    private const string Lib = "libturbojpeg.so.0";
    private const int PixelFormatRgb = 0;          // TJPF_RGB
    private const int FlagAccurateDct = 4096;      // TJFLAG_ACCURATEDCT
    private const int FlagStopOnWarning = 8192;    // TJFLAG_STOPONWARNING: a corrupt or truncated file fails instead of decoding to grey

    private nint _handle;
    private readonly bool _compress;

    private TurboJpeg(bool compress)
    {
        _compress = compress;
        try
        {
            _handle = compress ? tjInitCompress() : tjInitDecompress();
        }
        catch (DllNotFoundException)
        {
            throw new InputException($"reading JPEG images needs {Lib} (Debian: apt-get install libturbojpeg0)");
        }
        if (_handle == 0) throw new InvalidOperationException($"{Lib}: could not create a TurboJPEG handle");
    }

    /// <summary>A decoder.</summary>
    public static TurboJpeg Decoder() => new(compress: false);

    /// <summary>An encoder.</summary>
    public static TurboJpeg Encoder() => new(compress: true);

    /// <summary>
    /// Decodes a JPEG to interleaved RGB (H, W, 3), any colour space converted to RGB (greyscale repeated).
    /// <paramref name="name"/> names the file in the error when it does not decode (also on a libjpeg warning).
    /// </summary>
    public unsafe (byte[] Rgb, int Width, int Height) Decode(ReadOnlySpan<byte> jpeg, string name)
    {
        if (_compress) throw new InvalidOperationException("this TurboJpeg is an encoder");
        int width, height, subsampling, colorspace;
        fixed (byte* src = jpeg)
        {
            if (tjDecompressHeader3(_handle, src, (nuint)jpeg.Length, &width, &height, &subsampling, &colorspace) != 0)
                throw new InputException($"{name}: JPEG header does not decode ({Error()})");
            if (width <= 0 || height <= 0) throw new InputException($"{name}: JPEG has size {width}x{height}");
            // Even a flat image needs a few bits per 8x8 block: far fewer than 4096 pixels per byte. A header claiming more lies.
            if ((long)width * height > 4096L * jpeg.Length)
                throw new InputException($"{name}: JPEG header claims {width}x{height} pixels, more than {jpeg.Length} bytes can hold (damaged file)");
            var rgb = new byte[(long)width * height * 3];
            fixed (byte* dst = rgb)
                if (tjDecompress2(_handle, src, (nuint)jpeg.Length, dst, width, 0, height, PixelFormatRgb, FlagAccurateDct | FlagStopOnWarning) != 0)
                    throw new InputException($"{name}: JPEG does not decode ({Error()})");
            return (rgb, width, height);
        }
    }

    /// <summary>Encodes interleaved RGB (H, W, 3) at <paramref name="quality"/> (1..100) with 4:4:4 or 4:2:0 chroma.</summary>
    public unsafe byte[] Encode(ReadOnlySpan<byte> rgb, int width, int height, int quality, bool subsample420 = false)
    {
        if (!_compress) throw new InvalidOperationException("this TurboJpeg is a decoder");
        if (rgb.Length != width * height * 3) throw new ArgumentException($"{rgb.Length} bytes is not {width}x{height} RGB");
        byte* jpeg = null;
        nuint size = 0;
        fixed (byte* src = rgb)
            if (tjCompress2(_handle, src, width, 0, height, PixelFormatRgb, &jpeg, &size, subsample420 ? 2 : 0, quality, FlagAccurateDct) != 0)
                throw new InvalidOperationException($"JPEG encoding failed ({Error()})");
        try
        {
            return new ReadOnlySpan<byte>(jpeg, (int)size).ToArray();
        }
        finally
        {
            tjFree(jpeg);
        }
    }

    private string Error() => Marshal.PtrToStringUTF8(tjGetErrorStr2(_handle)) ?? "unknown error";

    public void Dispose()
    {
        if (_handle != 0) tjDestroy(_handle);
        _handle = 0;
    }

    [LibraryImport(Lib)] private static partial nint tjInitDecompress();
    [LibraryImport(Lib)] private static partial nint tjInitCompress();
    [LibraryImport(Lib)] private static partial int tjDestroy(nint handle);
    [LibraryImport(Lib)] private static partial nint tjGetErrorStr2(nint handle);
    [LibraryImport(Lib)] private static unsafe partial void tjFree(byte* buffer);

    [LibraryImport(Lib)]
    private static unsafe partial int tjDecompressHeader3(nint handle, byte* jpeg, nuint size, int* width, int* height, int* subsampling, int* colorspace);

    [LibraryImport(Lib)]
    private static unsafe partial int tjDecompress2(nint handle, byte* jpeg, nuint size, byte* dst, int width, int pitch, int height, int pixelFormat, int flags);

    [LibraryImport(Lib)]
    private static unsafe partial int tjCompress2(nint handle, byte* src, int width, int pitch, int height, int pixelFormat, byte** jpeg, nuint* size, int subsampling, int quality, int flags);
}
