using NtkDynamics.Formats;

namespace NtkDynamics.Tests.Onnx;

/// <summary>The ONNX fixtures (Fixtures/onnx/README.md): exported files and PyTorch's reference numbers for them.</summary>
internal static class OnnxFixture
{
    public static string Path(string file) => FixtureFiles.Path(System.IO.Path.Combine("onnx", file));

    /// <summary>The reference arrays of a model ("resnet_small") and their metadata (parameter and buffer names).</summary>
    public static SafeTensorsFile Reference(string model) => SafeTensors.ReadArrays(Path($"{model}_ref.safetensors"));

    /// <summary>The state-dict names PyTorch gives the model's parameters and buffers (num_batches_tracked left out).</summary>
    public static string[] StateNames(SafeTensorsFile reference) =>
        [.. Split(reference.Metadata["parameters"]), .. Split(reference.Metadata["buffers"])];

    private static string[] Split(string names) => names.Length == 0 ? [] : names.Split(',');
}
