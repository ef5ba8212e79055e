using NtkDynamics.Experiments;
using NtkDynamics.Formats;
using NtkDynamics.Onnx;
using NtkDynamics.Tests.Cli;
using static NtkDynamics.Tests.Onnx.OnnxFixture;

namespace NtkDynamics.Tests.Onnx;

/// <summary>
/// The README's end-to-end example on Fixtures/onnx/fmnist_cnn.onnx (the paper's CNN for Fashion-MNIST exported with the
/// documented call): `ntk entk --onnx`, `ntk run` with model: {onnx: ...}, a kill and resume, `ntk export`; and bad files
/// through the CLI (one line, exit 2, nothing written).
/// </summary>
[Collection("Console")]
public class OnnxCliTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string Ok((int Code, string Out, string Error) r)
    {
        Assert.True(r.Code == 0, $"exit {r.Code}: {r.Error}");
        return r.Out;
    }

    private string Probe(int n, params int[] sample)
    {
        string path = _dir.Path("probe.npy");
        var x = new float[n * sample.Aggregate(1, (a, b) => a * b)];
        new Tensors.Rng(7).FillNormal(x, 1);
        Npy.Write(path, x, [n, .. sample]);
        return path;
    }

    /// <summary>The kernel of the imported file equals the one of the built-in CNN loaded with the file's weights.</summary>
    [Fact]
    public void EntkOnnxEqualsTheBuiltInCnnWithItsWeights()
    {
        string model = Path("fmnist_cnn.onnx"), probe = Probe(6, 1, 28, 28), weights = _dir.Path("w.safetensors");
        SafeTensors.WriteArrays(weights, OnnxModel.Load(model).Initializers.ToDictionary(i => i.Name, i => i.Value));
        string output = Ok(CliRunner.Run("entk", "--onnx", model, "--probe", probe, "--kind", "full", "--out", _dir.Path("onnx.npy")));
        Assert.Contains("ONNX fmnist_cnn.onnx", output);
        Assert.Contains("fused", output);
        Ok(CliRunner.Run("entk", "--checkpoint", weights, "--probe", probe, "--kind", "full", "--out", _dir.Path("cnn.npy")));
        Assert.Equal(Npy.Read(_dir.Path("cnn.npy")).ToDouble(), Npy.Read(_dir.Path("onnx.npy")).ToDouble());
    }

    [Fact]
    public void ModelShowPrintsTheImportedGraph()
    {
        string output = Ok(CliRunner.Run("model", "show", Path("resnet_small.onnx")));
        Assert.Contains("block2.shortcut.0", output);
        Assert.Contains("/pool3/AveragePool", output);
        Assert.Contains("buffers:", output);
    }

    private string Config(string name) => $$"""
        name: {{name}}
        output: {{_dir.Path("runs")}}
        seed: 1
        model: {onnx: {{Path("fmnist_cnn.onnx")}}}
        data: {dataset: embedded, train_per_class: 16, test_per_class: 8}
        stream: {kind: class-split, tasks: 2, classes_per_task: 5, probe_size: 10}
        train: {lr: 0.02, momentum: 0.9, batch_size: 16, epochs_per_task: 2}
        ntk: {every: 3, kind: trace}
        checkpoint: {every_steps: 4}
        """;

    /// <summary>ntk run on the file, then ntk export: the trained weights under the file's names (PyTorch's state dict of
    /// the exported module: its parameters and BatchNorm-free CNN has no buffers), equal to the run's last checkpoint.</summary>
    [Fact]
    public void RunOnAnOnnxModelThenExportItsTrainedWeights()
    {
        string config = _dir.Path("onnx-run.yaml");
        File.WriteAllText(config, Config("onnx-run"));
        Ok(CliRunner.Run("run", config, "--quiet"));
        var run = new RunFolder(_dir.Path("runs/onnx-run"));
        Assert.Equal("finished", run.ReadState());
        Assert.Equal(ExperimentConfig.Load(config).ToYaml(), ExperimentConfig.Load(run.Config).ToYaml());
        Assert.Contains($"onnx: {Path("fmnist_cnn.onnx")}", File.ReadAllText(run.Config));

        string trained = _dir.Path("trained.safetensors");
        Assert.Contains("wrote", Ok(CliRunner.Run("export", run.Path, "--out", trained)));
        var exported = SafeTensors.ReadArrays(trained).Arrays;
        var onnx = OnnxModel.Load(Path("fmnist_cnn.onnx"));
        Assert.Equal(onnx.Initializers.Select(i => i.Name).Order(), exported.Keys.Order());
        var last = SafeTensors.Read(System.IO.Path.Combine(Checkpoint.Latest(run)!, "model.safetensors"));
        foreach (var i in onnx.Initializers)
        {
            Assert.Equal(i.Value.Shape, exported[i.Name].Shape);
            Assert.Equal(last[i.Name].Data, exported[i.Name].ToFloat());
            Assert.NotEqual(i.Value.ToFloat(), exported[i.Name].ToFloat()); // trained
        }
        var notOnnx = CliRunner.Run("export", _dir.Path("runs"), "--out", _dir.Path("x.safetensors"));
        Assert.Equal(2, notOnnx.Code);
        Assert.False(File.Exists(_dir.Path("x.safetensors")));
    }

    /// <summary>Checkpoints of an ONNX model hold its state under the file's names; killed twice and resumed, a run ends as
    /// the uninterrupted one.</summary>
    [Fact]
    public void AnOnnxModelKilledAndResumedEndsIdentical()
    {
        // 20 epochs a task: 200 steps, ~67 metrics rows. With 4 (~14 rows) the resumed run could finish between two polls
        // before its kill at row 12, once training got faster.
        Directory.CreateDirectory(_dir.Path("kill"));
        Experiments.RunnerTests.KilledAndResumedEndsIdentical(Config("kill").Replace(_dir.Path("runs"), _dir.Path("kill")).Replace("epochs_per_task: 2", "epochs_per_task: 20"), [5, 12]);
    }

    public static TheoryData<string, string> BadFiles => new()
    {
        { "truncated", "not a valid ONNX file, or truncated" },
        { "opset", "opset 9 is not supported" },
        { "unknown op", "Transpose is not supported" },
        { "missing initializer", "a missing initializer?" },
    };

    [Theory]
    [MemberData(nameof(BadFiles))]
    public void BadFilesAreOneLineErrorsWithExitCode2(string what, string message)
    {
        byte[] good = File.ReadAllBytes(Path("cnn.onnx"));
        byte[] bytes = what switch
        {
            "truncated" => good[..(good.Length / 2)],
            "opset" => OnnxBuilder.Linear(9),
            "unknown op" => OnnxBuilder.Linear(node: OnnxBuilder.Node("Transpose", ["x"], ["y"], "perm1")),
            _ => OnnxBuilder.Linear(initializers: []),
        };
        string model = _dir.Path("bad.onnx"), kernel = _dir.Path("k.npy");
        File.WriteAllBytes(model, bytes);
        var r = CliRunner.Run("entk", "--onnx", model, "--probe", Probe(2, 3, 8, 8), "--out", kernel);
        Assert.Equal(2, r.Code);
        var line = Assert.Single(r.Error.TrimEnd('\n').Split('\n'));
        Assert.StartsWith($"ntk: {model}: ", line);
        Assert.Contains(message, line);
        Assert.False(File.Exists(kernel));

        string config = _dir.Path("bad.yaml");
        File.WriteAllText(config, Config("bad").Replace(Path("fmnist_cnn.onnx"), model));
        var run = CliRunner.Run("run", config, "--quiet");
        Assert.Equal(2, run.Code);
        Assert.Contains(message, run.Error);
        Assert.False(Directory.Exists(_dir.Path("runs/bad")));
    }
}
