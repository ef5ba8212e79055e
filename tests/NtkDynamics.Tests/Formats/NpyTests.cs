using NtkDynamics.Formats;
using NtkDynamics.Tensors;

namespace NtkDynamics.Tests.Formats;

public class NpyTests
{
    // The arrays make_fixtures.py saved with np.save, rebuilt here.
    private static readonly (string File, NdArray Expected)[] NumpyFiles =
    [
        ("npy_f4_2x3.npy", new NdArray(Enumerable.Range(0, 6).Select(i => i * 0.25f - 0.5f).ToArray(), 2, 3)),
        ("npy_f8_scalar.npy", new NdArray([1.0 / 3.0])),
        ("npy_f8_1x2x3x4.npy", new NdArray(Enumerable.Range(0, 24).Select(i => i / 8.0).ToArray(), 1, 2, 3, 4)),
        ("npy_i8_5.npy", new NdArray([-2L, -1, 0, 1, 1L << 40], 5)),
        ("npy_u1_2x2x2.npy", new NdArray(Enumerable.Range(0, 8).Select(i => (byte)(i * 30)).ToArray(), 2, 2, 2)),
        ("npy_i4_3.npy", new NdArray([-7, 0, 7], 3)),
        ("npy_b1_4.npy", new NdArray([true, false, false, true], 4)),
        ("npy_f4_0x3.npy", new NdArray(Array.Empty<float>(), 0, 3)),
    ];

    public static string[] FileNames => [.. NumpyFiles.Select(f => f.File)];

    public static TheoryData<string> Files() => new(FileNames);

    private static NdArray Expected(string file) => NumpyFiles.Single(f => f.File == file).Expected;

    [Theory]
    [MemberData(nameof(Files))]
    public void ReadsWhatNumpyWroteExactly(string file)
    {
        var expected = Expected(file);
        var a = Npy.Read(FixtureFiles.Path(file));
        Assert.Equal(expected.DType, a.DType);
        Assert.Equal(expected.Shape, a.Shape);
        Assert.Equal(expected.Data, a.Data);
        Assert.Equal(FixtureFiles.Path(file), a.Source);
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void WritesTheSameBytesAsNumpy(string file)
    {
        using var dir = new TempDir();
        Npy.Write(dir.Path(file), Expected(file));
        Assert.Equal(File.ReadAllBytes(FixtureFiles.Path(file)), File.ReadAllBytes(dir.Path(file)));
    }

    [Fact]
    public void TypedOverloadsRoundTripEveryShape()
    {
        using var dir = new TempDir();
        var rng = new Rng(7);
        foreach (int[] shape in new[] { Array.Empty<int>(), [1], [100_000], [3, 0, 2], [2, 3, 4, 5, 6] })
        {
            int n = Tensor.Count(shape);
            var f = new float[n];
            rng.FillNormal(f, 1);
            var d = f.Select(v => v * Math.PI).ToArray();
            var l = f.Select(v => (long)(v * 1e12)).ToArray();
            var b = f.Select(v => (byte)(v * 100)).ToArray();
            Npy.Write(dir.Path("f.npy"), f, shape);
            Npy.Write(dir.Path("d.npy"), d, shape);
            Npy.Write(dir.Path("l.npy"), l, shape);
            Npy.Write(dir.Path("b.npy"), b, shape);
            Npy.Write(dir.Path("t.npy"), new Tensor(f, shape));
            foreach (var (name, data, type) in new (string, Array, DType)[]
                     { ("f", f, DType.Float32), ("d", d, DType.Float64), ("l", l, DType.Int64), ("b", b, DType.UInt8), ("t", f, DType.Float32) })
            {
                var back = Npy.Read(dir.Path(name + ".npy"));
                Assert.Equal(type, back.DType);
                Assert.Equal(shape, back.Shape);
                Assert.Equal(data, back.Data);
            }
        }
    }

    [Fact]
    public void HeaderIsPaddedTo64BytesWhateverTheShape()
    {
        using var dir = new TempDir();
        foreach (int[] shape in new[] { [123456789, 0], new int[] { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31 } })
        {
            Npy.Write(dir.Path("x.npy"), Array.Empty<double>(), shape);
            var bytes = File.ReadAllBytes(dir.Path("x.npy"));
            Assert.Equal(0, bytes.Length % 64);
            Assert.Equal((byte)'\n', bytes[^1]);
            Assert.Equal(shape, Npy.Read(dir.Path("x.npy")).Shape);
        }
    }

    [Fact]
    public void ConversionsKeepOrRoundValues()
    {
        var d = new NdArray([1.0 / 3.0, -2.5], 2);
        Assert.Same(d.Data, d.ToDouble());
        Assert.Equal([(float)(1.0 / 3.0), -2.5f], d.ToFloat());
        Assert.Equal([1L, 0L, 1L], new NdArray([true, false, true], 3).ToInt64());
        Assert.Equal([-7.0, 0, 7], new NdArray([-7, 0, 7], 3).ToDouble());
        var e = Assert.Throws<InputException>(() => new NdArray([1.5], 1) { Source = "labels.npy" }.ToInt64());
        Assert.Equal("labels.npy: expected integer data, got float64", e.Message);
    }

    // A good [2, 3] float32 file, then one change each: every one must be a one-line error naming the file.
    public static TheoryData<string, string> Malformations() => new()
    {
        { "empty", "not a .npy file" },
        { "bad magic", "not a .npy file" },
        { "version 4", "unsupported .npy format version 4.0" },
        { "header past end", "runs past the end" },
        { "truncated data", "truncated: shape [2, 3] of float32 needs 24 data bytes, file has 23" },
        { "trailing byte", "trailing bytes: shape [2, 3] of float32 needs 24 data bytes, file has 25" },
        { "fortran order", "fortran_order is True" },
        { "float16", "unsupported dtype '<f2'" },
        { "big-endian", "big-endian dtype '>f4'" },
        { "missing colon", "bad .npy header: expected ':'" },
        { "negative dimension", "expected a dimension" },
        { "missing shape", "header must have the keys" },
        { "extra key", "unexpected or repeated key 'extra'" },
        { "bool value 2", "bool element 1 is neither 0 nor 1" },
    };

    [Theory]
    [MemberData(nameof(Malformations))]
    public void MalformedFilesGiveOneLineErrorsNamingTheFile(string change, string expected)
    {
        using var dir = new TempDir();
        string good = dir.Path("good.npy"), bad = dir.Path("bad.npy");
        Npy.Write(good, new float[6], 2, 3);
        if (change == "bool value 2") Npy.Write(good, new NdArray([true, false], 2));
        var bytes = File.ReadAllBytes(good).ToList();
        string header = System.Text.Encoding.ASCII.GetString(bytes.ToArray(), 10, bytes.Count - 10);
        void Replace(string from, string to)
        {
            int at = header.IndexOf(from, StringComparison.Ordinal);
            Assert.True(at >= 0 && from.Length == to.Length, change);
            for (int i = 0; i < to.Length; i++) bytes[10 + at + i] = (byte)to[i];
        }
        switch (change)
        {
            case "empty": bytes.Clear(); break;
            case "bad magic": bytes[1] = (byte)'X'; break;
            case "version 4": bytes[6] = 4; break;
            case "header past end": bytes.RemoveRange(40, bytes.Count - 40); break;
            case "truncated data": bytes.RemoveAt(bytes.Count - 1); break;
            case "trailing byte": bytes.Add(0); break;
            case "fortran order": Replace("False", "True "); break;
            case "float16": Replace("<f4", "<f2"); break;
            case "big-endian": Replace("<f4", ">f4"); break;
            case "missing colon": Replace("'descr':", "'descr' "); break;
            case "negative dimension": Replace("(2, 3)", "(-2, 3"); break;
            case "missing shape": Replace("'shape': (2, 3), ", new string(' ', 17)); break;
            case "extra key": Replace("'shape': (2, 3), }", "'extra': 1, 'x': }"); break;
            case "bool value 2": bytes[^1] = 2; break;
        }
        File.WriteAllBytes(bad, bytes.ToArray());
        InputErrors.Assert(() => Npy.Read(bad), bad, expected);
    }

    [Fact]
    public void MissingFileOrAFolderIsAnInputError()
    {
        Assert.Equal("/nonexistent/k.npy: no such file", Assert.Throws<InputException>(() => Npy.Read("/nonexistent/k.npy")).Message);
        using var dir = new TempDir();
        Assert.Equal($"{dir.Root}: is a folder, not a file", Assert.Throws<InputException>(() => Npy.Read(dir.Root)).Message);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void ReadsFormatVersions2And3(int major)
    {
        // numpy writes 2.0 (4-byte header length) for huge headers and 3.0 for UTF-8 field names; the dict is the same.
        var v1 = File.ReadAllBytes(FixtureFiles.Path("npy_f4_2x3.npy"));
        int headerLength = v1[8] | v1[9] << 8;
        byte[] v2 = [.. v1[..6], (byte)major, 0, (byte)headerLength, (byte)(headerLength >> 8), 0, 0, .. v1[10..]];
        using var dir = new TempDir();
        File.WriteAllBytes(dir.Path("v.npy"), v2);
        var a = Npy.Read(dir.Path("v.npy"));
        Assert.Equal([2, 3], a.Shape);
        Assert.Equal(Expected("npy_f4_2x3.npy").Data, a.Data);
    }
}
