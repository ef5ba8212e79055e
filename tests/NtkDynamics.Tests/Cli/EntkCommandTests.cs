using NtkDynamics.Formats;
using NtkDynamics.Nn;
using NtkDynamics.Ntk;
using NtkDynamics.Tensors;
using NtkDynamics.Tests.PyTorch;

namespace NtkDynamics.Tests.Cli;

[Collection("Console")]
public class EntkCommandTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string Fixture(string name) => FixtureFiles.Path(name);

    /// <summary>Writes the fixture's probe, reshaped to <paramref name="shape"/> when given, as a float32 .npy.</summary>
    private string ProbeFile(string prefix, params int[] shape)
    {
        var probe = TorchFixture.Arrays($"{prefix}_entk.safetensors")["probe"];
        string path = _dir.Path($"{prefix}_probe.npy");
        Npy.Write(path, probe.ToFloat(), shape.Length > 0 ? shape : probe.Shape);
        return path;
    }

    private static double[] ReadKernel(string path, int size)
    {
        var k = Npy.Read(path);
        Assert.Equal(DType.Float64, k.DType);
        Assert.Equal([size, size], k.Shape);
        return k.ToDouble();
    }

    private static string Ok((int Code, string Out, string Error) r)
    {
        Assert.True(r.Code == 0, $"exit {r.Code}: {r.Error}");
        return r.Out;
    }

    [Theory]
    [InlineData("full", "full", 60)]
    [InlineData("trace", "trace", 6)]
    [InlineData("logit", "logit0", 6)]
    public void CheckpointAndProbeFileGiveFunctorchsKernel(string kind, string entry, int size)
    {
        string probe = ProbeFile("cnn_w4_s8"), kernel = _dir.Path("k.npy"), layers = _dir.Path("layers");
        string output = Ok(CliRunner.Run("entk", "--checkpoint", Fixture("cnn_w4_s8_weights.safetensors"), "--image-size", "8",
            "--probe", probe, "--kind", kind, "--out", kernel, "--per-layer", layers));
        var expected = TorchFixture.Arrays("cnn_w4_s8_entk.safetensors")[entry].ToDouble();
        TorchFixture.Close(expected, ReadKernel(kernel, size), 1e-5, $"ntk entk --kind {kind}");

        string[] names = ["conv1.bias", "conv1.weight", "conv2.bias", "conv2.weight", "conv3.bias", "conv3.weight", "fc.bias", "fc.weight"];
        Assert.Equal(names.Select(n => n + ".npy"), Directory.GetFiles(layers).Select(Path.GetFileName).Order());
        var sum = new double[size * size];
        foreach (var name in names)
        {
            var block = ReadKernel(Path.Combine(layers, name + ".npy"), size);
            for (int i = 0; i < sum.Length; i++) sum[i] += block[i];
        }
        TorchFixture.Close(expected, sum, 1e-5, "sum of the per-parameter files");
        foreach (var line in new[] { "lambda_max", "effective", "trace share per layer", "conv2", "methods" })
            Assert.Contains(line, output, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void MlpCheckpointFlattensTheProbe()
    {
        string kernel = _dir.Path("k.npy");
        Ok(CliRunner.Run("entk", "--checkpoint", Fixture("mlp_weights.safetensors"), "--probe", ProbeFile("mlp", 6, 3, 4), "--kind", "trace", "--out", kernel));
        TorchFixture.Close(TorchFixture.Arrays("mlp_entk.safetensors")["trace"].ToDouble(), ReadKernel(kernel, 6), 1e-5, "mlp trace");
    }

    [Theory]
    [InlineData("cnn", "patch-gram")]
    [InlineData("cnn", "per-sample")]
    [InlineData("mlp", "auto")]
    public void BuiltModelGivesTheLibrarysKernel(string arch, string method)
    {
        var x = new Tensor(5, 2, 9, 9);
        new Rng(4).FillNormal(x.Data, 1);
        string probe = _dir.Path("p.npy"), kernel = _dir.Path("k.npy");
        Npy.Write(probe, x);
        var args = new List<string> { "entk", "--model", arch, "--width", "3", "--classes", "4", "--parametrisation", "ntk", "--seed", "11",
            "--probe", probe, "--kind", "full", "--method", method, "--out", kernel };
        if (arch == "mlp") args.AddRange(["--hidden", "7,5"]);
        string output = Ok(CliRunner.Run([.. args]));
        var spec = arch == "cnn" ? ModelSpec.Cnn(3, 2, 9, 4) : ModelSpec.Mlp([2 * 9 * 9], [7, 5], 4);
        var model = spec.Build(Parametrisation.Parse("ntk"), 11);
        var input = arch == "cnn" ? x : x.Reshape(5, 2 * 9 * 9);
        var expected = EmpiricalNtk.Compute(model, input, new NtkOptions(NtkKind.Full, ConvMethod: method)).Values;
        TorchFixture.Close(expected, ReadKernel(kernel, 20), 1e-12, $"{arch} {method}");
        if (arch == "cnn") Assert.Contains($"conv1 {method}", output);
    }

    [Fact]
    public void DataProbeIsClassBalancedAndGivesTheAlignment()
    {
        string kernel = _dir.Path("k.npy");
        string output = Ok(CliRunner.Run("entk", "--model", "cnn", "--width", "4", "--data", "embedded", "--probe-size", "20", "--seed", "2",
            "--kind", "logit", "--logit", "3", "--out", kernel));
        var k = ReadKernel(kernel, 20);
        Assert.All(k, v => Assert.True(double.IsFinite(v)));
        Assert.Contains("CNN(width 4, input [1, 28, 28], 10 classes)", output);
        Assert.Contains("embedded, 20 test images, class-balanced", output);
        Assert.Contains("centred (CKA", output);
    }

    public static TheoryData<string> Failures => new()
    {
        "probe shape", "probe missing", "probe dtype", "labels count", "label range", "data classes", "checkpoint missing", "checkpoint extra name", "checkpoint shape",
        "resnet checkpoint missing buffer", "resnet checkpoint buffer shape", "resnet checkpoint weight shape",
        "checkpoint image size", "kernel overflow", "logit range", "kind", "method", "out folder", "no model", "no probe",
    };

    /// <summary>The arguments of a failing case and a part of the one-line message it must print.</summary>
    private (string[] Args, string Message) Case(string name)
    {
        string probe = ProbeFile("cnn_w4_s8"), weights = Fixture("cnn_w4_s8_weights.safetensors"), kernel = _dir.Path("k.npy");
        string[] Ckpt(string file) => ["entk", "--checkpoint", file, "--image-size", "8", "--probe", probe, "--out", kernel];
        string Edited(Func<Dictionary<string, Tensor>, Dictionary<string, Tensor>> edit)
        {
            string path = _dir.Path("edited.safetensors");
            SafeTensors.Write(path, edit(SafeTensors.Read(weights)));
            return path;
        }
        // A ResNet-18 (nf 4) state dict with buffers, edited: the message names the tensor.
        string[] ResNet(Action<Dictionary<string, Tensor>> edit)
        {
            var state = ModelSpec.ResNet18(4, 3, 8, 10).Build(Parametrisation.Parse("standard"), 0).StateDict().ToDictionary(p => p.Key, p => p.Value);
            edit(state);
            string path = _dir.Path("resnet.safetensors");
            SafeTensors.Write(path, state);
            return Ckpt(path);
        }
        switch (name)
        {
            case "probe shape":
                return (["entk", "--model", "cnn", "--width", "4", "--image-size", "16", "--probe", probe, "--out", kernel], "does not fit CNN(width 4, input [3, 16, 16]");
            case "probe missing":
                return (["entk", "--model", "cnn", "--probe", _dir.Path("nothing.npy"), "--out", kernel], "no such file");
            case "probe dtype":
                Npy.Write(_dir.Path("ints.npy"), new long[12], 2, 6);
                return (["entk", "--model", "mlp", "--probe", _dir.Path("ints.npy"), "--out", kernel], "expected float32 or float64");
            case "labels count":
                Npy.Write(_dir.Path("labels.npy"), new long[5], 5);
                return ([.. Ckpt(weights), "--labels", _dir.Path("labels.npy")], "expected 6 labels");
            case "label range":
                Npy.Write(_dir.Path("labels.npy"), new long[] { 0, 1, 2, 10, 3, 4 }, 6);
                return ([.. Ckpt(weights), "--labels", _dir.Path("labels.npy")], "labels.npy: label 10 at entry 3 is out of range for a model with 10 classes");
            case "data classes":
                return (["entk", "--model", "cnn", "--width", "4", "--data", "embedded", "--probe-size", "20", "--classes", "5", "--out", kernel],
                    "--classes: the model has 5 classes but the probe from embedded has label 5");
            case "checkpoint missing":
                return (Ckpt(_dir.Path("none.safetensors")), "no such file");
            case "checkpoint extra name":
                return (Ckpt(Edited(w => { w["conv4.weight"] = new Tensor(4, 4, 3, 3); return w; })), "unexpected conv4.weight");
            case "checkpoint shape":
                return (Ckpt(Edited(w => { w["conv2.bias"] = new Tensor(5); return w; })), "'conv2.bias' has shape [5]");
            case "resnet checkpoint missing buffer":
                return (ResNet(w => w.Remove("layer1.0.bn1.running_var")), "missing layer1.0.bn1.running_var");
            case "resnet checkpoint buffer shape":
                return (ResNet(w => w["layer2.0.shortcut.1.running_mean"] = new Tensor(7)), "'layer2.0.shortcut.1.running_mean' has shape [7], ResNet-18(nf 4, input [3, 8, 8], 10 classes) expects [8]");
            case "resnet checkpoint weight shape":
                return (ResNet(w => w["layer3.1.conv2.weight"] = new Tensor(16, 16, 1, 1)), "'layer3.1.conv2.weight' has shape [16, 16, 1, 1]");
            case "checkpoint image size":
                return (["entk", "--checkpoint", weights, "--image-size", "32", "--probe", probe, "--out", kernel], "fits no image size");
            case "kernel overflow":
                return (Ckpt(Edited(w => w.ToDictionary(p => p.Key, p => new Tensor(p.Value.Data.Select(v => v * 1e15f).ToArray(), p.Value.Shape)))), "not finite");
            case "logit range":
                return ([.. Ckpt(weights), "--kind", "logit", "--logit", "10"], "--logit: 10 is not a logit");
            case "kind":
                return ([.. Ckpt(weights), "--kind", "diagonal"], "--kind: 'diagonal'");
            case "method":
                return ([.. Ckpt(weights), "--method", "fast"], "--method: 'fast'");
            case "out folder":
                return (["entk", "--checkpoint", weights, "--image-size", "8", "--probe", probe, "--out", _dir.Path("no/such/k.npy")], "does not exist");
            case "no model":
                return (["entk", "--probe", probe, "--out", kernel], "--model cnn|mlp|resnet18, --checkpoint FILE.safetensors or --onnx");
            default:
                return (["entk", "--model", "cnn", "--out", kernel], "--probe FILE.npy or --data NAME");
        }
    }

    [Theory]
    [MemberData(nameof(Failures))]
    public void BadInputIsOneLineExitTwoAndNoFile(string name)
    {
        var (args, message) = Case(name);
        var (code, _, error) = CliRunner.Run(args);
        Assert.Equal(2, code);
        Assert.StartsWith("ntk: ", error);
        Assert.Contains(message, error);
        Assert.Single(error.TrimEnd('\n').Split('\n'));
        Assert.False(File.Exists(_dir.Path("k.npy")), "a kernel file was written");
        Assert.Empty(Directory.GetFiles(_dir.Root, ".*.tmp"));
    }
}
