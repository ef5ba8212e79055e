using System.Buffers.Binary;
using System.Text;
using NtkDynamics.Formats;
using NtkDynamics.Tensors;

namespace NtkDynamics.Tests.Formats;

public class SafeTensorsTests
{
    // What make_fixtures.py gave st_io.save for st_mixed.safetensors.
    private static Dictionary<string, NdArray> Mixed() => new()
    {
        ["w"] = new NdArray(Enumerable.Range(0, 6).Select(i => i * 0.25f - 0.5f).ToArray(), 2, 3),
        ["k"] = new NdArray([1.0, 1.0 / 3.0, 1.0 / 3.0, -2.5], 2, 2),
        ["idx"] = new NdArray([-2L, 0, 1L << 40], 3),
        ["img"] = new NdArray(new byte[] { 0, 127, 128, 255 }, 2, 2),
        ["s"] = new NdArray([3.5f]),
        ["e"] = new NdArray(Array.Empty<float>(), 0),
    };

    private static readonly Dictionary<string, string> MixedMetadata = new() { ["note"] = "caf\u00e9 \"q\"", ["arch"] = "test" };

    [Fact]
    public void ReadsWhatStIoWroteExactly()
    {
        var file = SafeTensors.ReadArrays(FixtureFiles.Path("st_mixed.safetensors"));
        Assert.Equal(MixedMetadata, file.Metadata);
        var expected = Mixed();
        Assert.Equal(expected.Keys.Order(), file.Arrays.Keys.Order());
        foreach (var (name, e) in expected)
        {
            var a = file.Arrays[name];
            Assert.Equal(e.DType, a.DType);
            Assert.Equal(e.Shape, a.Shape);
            Assert.Equal(e.Data, a.Data);
        }
    }

    [Fact]
    public void WritesTheSameBytesAsStIo()
    {
        using var dir = new TempDir();
        SafeTensors.WriteArrays(dir.Path("m.safetensors"), Mixed(), MixedMetadata);
        Assert.Equal(File.ReadAllBytes(FixtureFiles.Path("st_mixed.safetensors")), File.ReadAllBytes(dir.Path("m.safetensors")));
    }

    [Fact]
    public void RewritingAPyTorchStateDictGivesTheSameBytes()
    {
        using var dir = new TempDir();
        string source = FixtureFiles.Path("cnn_w4_s8_weights.safetensors");
        var weights = SafeTensors.Read(source);
        Assert.Equal(["conv1.bias", "conv1.weight", "conv2.bias", "conv2.weight", "conv3.bias", "conv3.weight", "fc.bias", "fc.weight"],
            weights.Keys.Order(StringComparer.Ordinal));
        Assert.Equal([4, 3, 3, 3], weights["conv1.weight"].Shape);
        SafeTensors.Write(dir.Path("w.safetensors"), weights);
        Assert.Equal(File.ReadAllBytes(source), File.ReadAllBytes(dir.Path("w.safetensors")));
    }

    [Fact]
    public void ReadConvertsToFloat32AndWidensHalfPrecision()
    {
        var mixed = SafeTensors.Read(FixtureFiles.Path("st_mixed.safetensors"));
        Assert.Equal([1f, (float)(1.0 / 3.0), (float)(1.0 / 3.0), -2.5f], mixed["k"].Data);
        Assert.Equal([-2f, 0f, (float)(1L << 40)], mixed["idx"].Data);
        Assert.Empty(mixed["s"].Shape);
        Assert.Equal([1f, -2f, 0.5f], SafeTensors.Read(FixtureFiles.Path("st_f16.safetensors"))["h"].Data);

        using var dir = new TempDir();
        File.WriteAllBytes(dir.Path("bf.safetensors"), Build("{\"x\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[0,4]}}", [0x80, 0x3F, 0x00, 0xC0]));
        var bf = SafeTensors.ReadArrays(dir.Path("bf.safetensors")).Arrays["x"];
        Assert.Equal(DType.Float32, bf.DType);
        Assert.Equal([1f, -2f], bf.ToFloat());
    }

    [Fact]
    public void TensorsRoundTripWithAndWithoutMetadata()
    {
        using var dir = new TempDir();
        var rng = new Rng(3);
        var tensors = new Dictionary<string, Tensor>
        {
            ["layer.b"] = new Tensor(7), ["layer.a"] = new Tensor(2, 3, 5), ["\u00fcber/x"] = new Tensor(), ["empty"] = new Tensor(0, 4),
        };
        foreach (var t in tensors.Values) rng.FillNormal(t.Data, 1);
        foreach (var meta in new[] { null, new Dictionary<string, string>(), new() { ["step"] = "12", ["tab\t"] = "\u03b8\n" } })
        {
            SafeTensors.Write(dir.Path("t.safetensors"), tensors, meta);
            var back = SafeTensors.ReadArrays(dir.Path("t.safetensors"));
            Assert.Equal(meta ?? [], back.Metadata);
            Assert.Equal(tensors.Keys.Order(), back.Arrays.Keys.Order());
            foreach (var (name, t) in tensors)
            {
                Assert.Equal(t.Shape, back.Arrays[name].Shape);
                Assert.Equal(t.Data, back.Arrays[name].Data);
            }
            long headerLength = BinaryPrimitives.ReadInt64LittleEndian(File.ReadAllBytes(dir.Path("t.safetensors")));
            Assert.Equal(0, headerLength % 8);
        }
    }

    /// <summary>A safetensors file from a header JSON (padded to 8 bytes) and a data buffer.</summary>
    private static byte[] Build(string json, byte[] data)
    {
        var header = Encoding.UTF8.GetBytes(json + new string(' ', (8 - json.Length % 8) % 8));
        var bytes = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + header.Length);
        return bytes;
    }

    private static string Entry(string name, string dtype, string shape, long begin, long end) =>
        $"\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":[{shape}],\"data_offsets\":[{begin},{end}]}}";

    public static TheoryData<string, string, int, string> Malformations() => new()
    {
        // name, header JSON, data bytes, expected message part
        { "good", "{" + Entry("a", "F32", "2", 0, 8) + "," + Entry("b", "U8", "3", 8, 11) + "}", 11, "" },
        { "bad JSON", "{\"a\":", 0, "bad header JSON" },
        { "not an object", "[1,2]", 0, "header JSON is not an object" },
        { "entry not object", "{\"a\":3}", 0, "tensor 'a': entry is not an object" },
        { "no dtype", "{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "tensor 'a': missing string \"dtype\"" },
        { "unknown dtype", "{" + Entry("a", "C64", "1", 0, 8) + "}", 8, "tensor 'a': unsupported dtype \"C64\"" },
        { "negative dimension", "{" + Entry("a", "F32", "-1", 0, 4) + "}", 4, "\"shape\" holds -1, not a non-negative integer" },
        { "fractional offset", "{" + Entry("a", "F32", "1", 0, 4).Replace("[0,4]", "[0,4.5]") + "}", 4, "\"data_offsets\" holds 4.5" },
        { "three offsets", "{" + Entry("a", "F32", "1", 0, 4).Replace("[0,4]", "[0,4,8]") + "}", 4, "data_offsets must be [begin, end]" },
        { "offsets past end", "{" + Entry("a", "F32", "2", 0, 8) + "}", 4, "data_offsets [0, 8] outside the 4-byte data buffer" },
        { "offsets reversed", "{" + Entry("a", "F32", "0", 4, 0) + "}", 4, "data_offsets [4, 0] outside" },
        { "size mismatch", "{" + Entry("a", "F32", "2,2", 0, 8) + "}", 8, "tensor 'a': shape [2, 2] of F32 needs 16 bytes, data_offsets give 8" },
        { "overlap", "{" + Entry("a", "F32", "2", 0, 8) + "," + Entry("b", "F32", "1", 4, 8) + "}", 8, "overlap the previous tensor" },
        { "gap", "{" + Entry("a", "F32", "1", 0, 4) + "," + Entry("b", "F32", "1", 8, 12) + "}", 12, "tensor 'b': gap in the data buffer" },
        { "trailing bytes", "{" + Entry("a", "F32", "1", 0, 4) + "}", 6, "the data buffer has 2 bytes after the last tensor" },
        { "duplicate name", "{" + Entry("a", "F32", "1", 0, 4) + "," + Entry("a", "F32", "1", 4, 8) + "}", 8, "'a' appears twice" },
        { "metadata not strings", "{\"__metadata__\":{\"step\":3}}", 0, "__metadata__ value of 'step' is not a string" },
        { "bool not 0 or 1", "{" + Entry("a", "BOOL", "2", 0, 2) + "}", -2, "bool element 1 is neither 0 nor 1" },
    };

    [Theory]
    [MemberData(nameof(Malformations))]
    public void MalformedFilesGiveOneLineErrorsNamingTheFile(string name, string json, int dataBytes, string expected)
    {
        using var dir = new TempDir();
        string path = dir.Path("bad.safetensors");
        var data = new byte[Math.Abs(dataBytes)];
        if (dataBytes < 0) data[^1] = 2;
        File.WriteAllBytes(path, Build(json, data));
        if (name == "good")
        {
            Assert.Equal(2, SafeTensors.ReadArrays(path).Arrays.Count);
            return;
        }
        InputErrors.Assert(() => SafeTensors.ReadArrays(path), path, expected);
    }

    [Fact]
    public void TruncatedFilesAndBadLengthsAreInputErrors()
    {
        using var dir = new TempDir();
        string path = dir.Path("t.safetensors");
        var good = Build("{" + Entry("a", "F32", "2", 0, 8) + "}", new byte[8]);
        foreach (var (bytes, expected) in new[]
                 {
                     (good[..5], "5 bytes is too short for a safetensors header"),
                     (good[..20], "runs past the end of the 20-byte file"),
                     (good[..^1], "data_offsets [0, 8] outside the 7-byte data buffer"),
                     (Encoding.ASCII.GetBytes("\x93NUMPY\x01\x00v\x00{'descr': '<f4'}"), "runs past the end"),
                 })
        {
            File.WriteAllBytes(path, bytes);
            InputErrors.Assert(() => SafeTensors.Read(path), path, expected);
        }
        Assert.Equal("/nonexistent/w.safetensors: no such file", Assert.Throws<InputException>(() => SafeTensors.Read("/nonexistent/w.safetensors")).Message);
    }
}
