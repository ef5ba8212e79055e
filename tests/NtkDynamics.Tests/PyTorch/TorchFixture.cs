using NtkDynamics.Formats;
using NtkDynamics.Nn;
using NtkDynamics.Tensors;

namespace NtkDynamics.Tests.PyTorch;

/// <summary>The PyTorch fixtures (Fixtures/README.md) as our objects: models loaded from their state dicts, arrays by name.</summary>
internal static class TorchFixture
{
    /// <summary>The fixture models: "cnn_w4_s8", "cnn_w4_s11", "mlp".</summary>
    public static TheoryData<string> Models => new() { "cnn_w4_s8", "cnn_w4_s11", "mlp" };

    /// <summary>
    /// The model <paramref name="prefix"/>_weights.safetensors describes, built by <see cref="ModelSpec.FromStateDict"/> and
    /// loaded with those weights (standard parametrisation: multipliers 1, as PyTorch's layers).
    /// </summary>
    public static Model Load(string prefix)
    {
        string path = FixtureFiles.Path($"{prefix}_weights.safetensors");
        var weights = SafeTensors.Read(path);
        int? imageSize = prefix.StartsWith("cnn") ? int.Parse(prefix[(prefix.LastIndexOf('s') + 1)..]) : null;
        var spec = ModelSpec.FromStateDict(weights.ToDictionary(w => w.Key, w => w.Value.Shape), path, imageSize);
        var model = spec.Build(Parametrisation.Parse("standard"), 0);
        model.LoadStateDict(weights, path);
        return model;
    }

    /// <summary>The arrays of a fixture file, with their stored dtypes.</summary>
    public static IReadOnlyDictionary<string, NdArray> Arrays(string file) => SafeTensors.ReadArrays(FixtureFiles.Path(file)).Arrays;

    public static int[] Labels(NdArray labels) => Array.ConvertAll(labels.ToInt64(), v => (int)v);

    /// <summary>‖actual - expected‖_F / ‖expected‖_F.</summary>
    public static double RelativeError(float[] actual, double[] expected) =>
        Ntk.EmpiricalNtkTests.RelativeError(Array.ConvertAll(actual, v => (double)v), expected);

    /// <summary>Asserts ‖actual - expected‖_F ≤ tolerance ‖expected‖_F, naming <paramref name="what"/>.</summary>
    public static void Close(double[] expected, double[] actual, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double e = Ntk.EmpiricalNtkTests.RelativeError(actual, expected);
        Assert.True(e <= tolerance, $"{what}: relative error {e:E2} > {tolerance:E0}");
    }

    public static void Close(double[] expected, float[] actual, double tolerance, string what) =>
        Close(expected, Array.ConvertAll(actual, v => (double)v), tolerance, what);

    /// <summary>A float32 tensor of a fixture array (F32 as stored; F64 rounded).</summary>
    public static Tensor Tensor(NdArray a) => a.ToTensor();
}
