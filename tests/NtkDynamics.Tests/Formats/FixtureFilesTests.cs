using System.Text.Json;
using NtkDynamics.Formats;

namespace NtkDynamics.Tests.Formats;

/// <summary>Every committed fixture loads with our readers, with the shapes and dtypes Fixtures/README.md lists, and is self-consistent.</summary>
public class FixtureFilesTests
{
    private static readonly (string Name, int[] Shape)[] CnnParams =
    [
        ("conv1.weight", [4, 3, 3, 3]), ("conv1.bias", [4]), ("conv2.weight", [4, 4, 3, 3]), ("conv2.bias", [4]),
        ("conv3.weight", [4, 4, 3, 3]), ("conv3.bias", [4]), ("fc.weight", [10, 4]), ("fc.bias", [10]),
    ];

    private static readonly (string Name, int[] Shape)[] MlpParams =
    [
        ("fc1.weight", [16, 12]), ("fc1.bias", [16]), ("fc2.weight", [8, 16]), ("fc2.bias", [8]), ("fc3.weight", [5, 8]), ("fc3.bias", [5]),
    ];

    private static IReadOnlyDictionary<string, NdArray> Load(string file) => SafeTensors.ReadArrays(FixtureFiles.Path(file)).Arrays;

    /// <summary>The file holds exactly these entries, with these dtypes and shapes.</summary>
    private static IReadOnlyDictionary<string, NdArray> Expect(string file, IEnumerable<(string Name, DType Type, int[] Shape)> entries)
    {
        var arrays = Load(file);
        var list = entries.ToList();
        Assert.Equal(list.Select(e => e.Name).Order(), arrays.Keys.Order());
        foreach (var (name, type, shape) in list)
        {
            Assert.Equal(type, arrays[name].DType);
            Assert.Equal(shape, arrays[name].Shape);
        }
        return arrays;
    }

    private static IEnumerable<(string, DType, int[])> Params(string kind, DType type, string prefix = "") =>
        (kind == "cnn" ? CnnParams : MlpParams).Select(p => (prefix + p.Name, type, p.Shape));

    private static void AssertClose(double expected, double actual, double rel = 1e-12) =>
        Assert.True(Math.Abs(expected - actual) <= rel * Math.Max(1, Math.Abs(expected)), $"expected {expected}, got {actual}");

    public static TheoryData<string, string, int[], int> Models() => new()
    {
        { "cnn_w4_s8", "cnn", [5, 3, 8, 8], 10 },
        { "cnn_w4_s11", "cnn", [5, 3, 11, 11], 10 },
        { "mlp", "mlp", [5, 12], 5 },
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void ModelFixturesHaveTheirShapesAndTheLossMatchesTheLogits(string prefix, string kind, int[] xShape, int k)
    {
        Expect(prefix + "_weights.safetensors", Params(kind, DType.Float32));
        Expect(prefix + "_grads.safetensors", Params(kind, DType.Float64));
        var io = Expect(prefix + "_io.safetensors",
        [
            ("x", DType.Float32, xShape), ("labels", DType.Int64, [5]), ("logits", DType.Float64, [5, k]),
            ("loss", DType.Float64, []), ("x_grad", DType.Float64, xShape),
        ]);
        var labels = io["labels"].ToInt64();
        var logits = io["logits"].ToDouble();
        double loss = 0;
        for (int i = 0; i < 5; i++)
        {
            var row = logits[(i * k)..((i + 1) * k)];
            double max = row.Max();
            loss += max + Math.Log(row.Sum(v => Math.Exp(v - max))) - row[labels[i]];
        }
        AssertClose(io["loss"].ToDouble()[0], loss / 5);
    }

    [Theory]
    [InlineData("cnn_w4_s8", new[] { 6, 3, 8, 8 }, 10)]
    [InlineData("mlp", new[] { 6, 12 }, 5)]
    public void KernelFixturesAreConsistent(string prefix, int[] probeShape, int k)
    {
        int n = probeShape[0];
        var a = Expect(prefix + "_entk.safetensors",
            [("probe", DType.Float32, probeShape), ("full", DType.Float64, [n * k, n * k]), ("trace", DType.Float64, [n, n]), ("logit0", DType.Float64, [n, n])]);
        double[] full = a["full"].ToDouble(), trace = a["trace"].ToDouble(), logit0 = a["logit0"].ToDouble();
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int c = 0; c < k; c++) sum += full[(i * k + c) * n * k + j * k + c];
                AssertClose(trace[i * n + j], sum);
                Assert.Equal(full[i * k * n * k + j * k], logit0[i * n + j]);
            }
    }

    [Fact]
    public void MetricAndOptimiserFixturesHaveTheirShapes()
    {
        var kernels = Expect("metrics_kernels.safetensors",
        [
            ("trace1", DType.Float64, [6, 6]), ("trace2", DType.Float64, [6, 6]), ("full1", DType.Float64, [60, 60]),
            ("full2", DType.Float64, [60, 60]), ("labels", DType.Int64, [6]),
        ]);
        using var json = JsonDocument.Parse(File.ReadAllBytes(FixtureFiles.Path("metrics.json")));
        Assert.Equal(kernels["labels"].ToInt64(), json.RootElement.GetProperty("labels").EnumerateArray().Select(v => v.GetInt64()));
        Assert.Equal(10, json.RootElement.GetProperty("num_classes").GetInt32());

        Expect("mlp_sgd.safetensors", new[] { "grad0.", "step1.", "step2.", "step3." }.SelectMany(p => Params("mlp", DType.Float64, p))
            .Append(("mse_loss", DType.Float64, [3])).Append(("target", DType.Float64, [5, 5])));
    }

    [Fact]
    public void EveryFixtureFileIsKnownAndReadable()
    {
        var files = Directory.GetFiles(FixtureFiles.Dir).Select(Path.GetFileName).Order().ToList();
        string[] models = ["cnn_w4_s8", "cnn_w4_s11", "mlp"];
        var known = models.SelectMany(m => new[] { "_weights", "_io", "_grads" }.Select(s => m + s + ".safetensors"))
            .Concat(["cnn_w4_s8_entk.safetensors", "mlp_entk.safetensors", "metrics_kernels.safetensors", "metrics.json", "mlp_sgd.safetensors",
                     "st_mixed.safetensors", "st_f16.safetensors", "README.md"])
            .Concat(NpyTests.FileNames);
        Assert.Equal(known.Order(), files);
        foreach (var f in files.Where(f => f!.EndsWith(".npy"))) Npy.Read(FixtureFiles.Path(f!));
        foreach (var f in files.Where(f => f!.EndsWith(".safetensors"))) Assert.NotEmpty(SafeTensors.Read(FixtureFiles.Path(f!)));
        Assert.True(files.Sum(f => new FileInfo(FixtureFiles.Path(f!)).Length) < 2_000_000);
    }
}
