using System.CommandLine;
using NtkDynamics.Experiments;
using NtkDynamics.Formats;
using NtkDynamics.Onnx;

namespace NtkDynamics.Cli;

/// <summary>
/// `ntk export RUN --out trained.safetensors`: the trained weights of a run of an ONNX model (model: {onnx: ...}) as a
/// PyTorch state dict under the file's names and layouts (docs/onnx.md), from the run's newest checkpoint or the one
/// given, for <c>model.load_state_dict(safetensors.torch.load_file(...))</c> on the module that was exported.
/// </summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var run = new Argument<string>("run") { Description = "a run folder of an ONNX model (its config.yaml has model: {onnx: ...})" };
        var output = new Option<string>("--out") { Description = "the .safetensors file to write", Required = true };
        var checkpoint = new Option<string?>("--checkpoint") { Description = "a checkpoint of the run (step_000120, under its checkpoints/; default: the newest)" };
        var cmd = new Command("export", "Write a trained ONNX model's weights as a PyTorch state dict (.safetensors) under the file's names") { run, output, checkpoint };
        cmd.SetAction(r => Run(r.GetValue(run)!, r.GetValue(output)!, r.GetValue(checkpoint)));
        return cmd;
    }

    private static int Run(string path, string output, string? step)
    {
        var run = new RunFolder(path);
        if (!File.Exists(run.Config)) throw new InputException($"{path}: not a run folder (no config.yaml)");
        var config = ExperimentConfig.Load(run.Config);
        string onnxPath = config.Model.Onnx ?? throw new InputException($"{run.Config}: model: the run's model is {config.Model.Kind}, not an ONNX model; " +
            "its checkpoints' model.safetensors are PyTorch state dicts already");
        string dir = step is null
            ? Checkpoint.Latest(run) ?? throw new InputException($"{path}: the run has no checkpoint yet")
            : Directory.Exists(step) ? step : Path.Combine(run.Checkpoints, step);
        string weights = Path.Combine(dir, "model.safetensors");
        if (!File.Exists(weights)) throw new InputException($"--checkpoint: {weights} does not exist");
        if (Directory.Exists(output)) throw new InputException($"--out: {output} is a folder, expected a file name");
        string folder = Path.GetDirectoryName(Path.GetFullPath(output))!;
        if (!Directory.Exists(folder)) throw new InputException($"--out: folder {folder} does not exist");
        var onnx = OnnxModel.Load(onnxPath);
        var model = onnx.ToModel(config.Seed);
        model.LoadStateDict(SafeTensors.Read(weights), weights);
        var state = OnnxGraph.ExportStateDict(model, onnx);
        SafeTensors.WriteArrays(output, state, new Dictionary<string, string> { ["source"] = Path.GetFileName(onnxPath), ["checkpoint"] = Path.GetFileName(dir) });
        Console.WriteLine($"wrote {output}: {state.Count} tensors ({model.ParameterCount:N0} parameters) of {Path.GetFileName(onnxPath)} after {Path.GetFileName(dir)}");
        return 0;
    }
}
