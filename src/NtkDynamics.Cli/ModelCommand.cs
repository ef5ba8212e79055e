using System.CommandLine;
using NtkDynamics.Experiments;
using NtkDynamics.Nn;
using NtkDynamics.Tensors;
using YamlDotNet.RepresentationModel;

namespace NtkDynamics.Cli;

/// <summary>`ntk model show`: a model's graph node by node (layer, inputs, output shape, parameters) and its totals, for an
/// experiment config, a graph file or a built-in architecture.</summary>
internal static class ModelCommand
{
    private static readonly string[] BuiltIns = ["cnn", "mlp", "resnet18"];

    public static Command Create()
    {
        var target = new Argument<string>("target") { Description = "an experiment config, a graph file (YAML with nodes:), an .onnx file, or a built-in model: cnn, mlp or resnet18" };
        var input = new Option<string?>("--input") { Description = "a graph file's input shape without the batch, e.g. 3,32,32 (default: the file's input:)" };
        var width = new Option<int?>("--width") { Description = "built-in: CNN channels (default 32), ResNet-18's nf (default 20), the MLP's hidden size without --hidden" };
        var hidden = new Option<string?>("--hidden") { Description = "built-in mlp: hidden sizes, comma-separated (default 256,256)" };
        var channels = new Option<int>("--channels") { Description = "built-in: input channels", DefaultValueFactory = _ => 3 };
        var imageSize = new Option<int>("--image-size") { Description = "built-in: input images' size", DefaultValueFactory = _ => 32 };
        var classes = new Option<int>("--classes") { Description = "built-in: logits", DefaultValueFactory = _ => 10 };
        var show = new Command("show", "Print every node of a model (layer, inputs, output shape, parameter count) and the totals")
        {
            target, input, width, hidden, channels, imageSize, classes,
        };
        show.SetAction(r =>
        {
            string t = r.GetValue(target)!;
            bool builtIn = !File.Exists(t) && BuiltIns.Contains(t);
            if (!builtIn && (r.GetValue(width) is not null || r.GetValue(hidden) is not null || r.GetResult(channels) is { Implicit: false }
                || r.GetResult(imageSize) is { Implicit: false } || r.GetResult(classes) is { Implicit: false }))
                throw new InputException($"--width, --hidden, --channels, --image-size, --classes: only for a built-in model ({string.Join(", ", BuiltIns)})");
            var model = builtIn
                ? BuiltIn(t, r.GetValue(width), r.GetValue(hidden), r.GetValue(channels), r.GetValue(imageSize), r.GetValue(classes))
                : FromFile(t, r.GetValue(input));
            Print(model);
            return 0;
        });
        var cmd = new Command("model", "Look at a model's graph");
        cmd.Subcommands.Add(show);
        return cmd;
    }

    private static Model BuiltIn(string kind, int? width, string? hidden, int channels, int imageSize, int classes)
    {
        var par = Parametrisation.Parse("standard");
        if (hidden is not null && kind != "mlp") throw new InputException("--hidden: only for mlp");
        var spec = kind switch
        {
            "cnn" => ModelSpec.Cnn(width ?? 32, channels, imageSize, classes),
            "resnet18" => ModelSpec.ResNet18(width ?? 20, channels, imageSize, classes),
            _ => ModelSpec.Mlp([channels, imageSize, imageSize], hidden is null ? [width ?? 256, width ?? 256] : Sizes(hidden, "--hidden", "256,256"), classes),
        };
        return spec.Build(par, 0);
    }

    // A graph file (a mapping with nodes:) or an experiment config, whose model is built as a run builds it (data included).
    private static Model FromFile(string path, string? input)
    {
        if (!File.Exists(path)) throw new InputException($"{path}: no such file (and not a built-in model: {string.Join(", ", BuiltIns)})");
        if (path.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase))
            return input is null ? Onnx.OnnxModel.Load(path).ToModel() : throw new InputException("--input: only for a graph file (an .onnx file has its input shape)");
        var yaml = new YamlStream();
        try { yaml.Load(new StringReader(File.ReadAllText(path))); }
        catch (YamlDotNet.Core.YamlException e) { throw new InputException($"{path}: line {e.Start.Line}: not valid YAML: {e.Message.Split('\n')[0]}"); }
        if (yaml.Documents.Count == 1 && yaml.Documents[0].RootNode is YamlMappingNode map && GraphFile.IsGraph(map))
            return GraphFile.FromYaml(map, path).Build(input is null ? null : Sizes(input, "--input", "3,32,32"), Parametrisation.Parse("standard"), 0);
        if (input is not null) throw new InputException("--input: only for a graph file (an experiment's data give the input shape)");
        return Experiment.Build(ExperimentConfig.Load(path)).Model;
    }

    /// <summary>A comma-separated list of sizes >= 1 given to <paramref name="option"/> ("256,256").</summary>
    internal static int[] Sizes(string text, string option, string example)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var sizes = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], out sizes[i]) || sizes[i] < 1)
                throw new InputException($"{option}: '{text}' is not a comma-separated list of sizes >= 1 (e.g. {example})");
        return sizes;
    }

    private static void Print(Model model)
    {
        Console.WriteLine($"{model.Description}: {model.Classes} logits, {model.Parametrisation.Name} parametrisation");
        string[] header = ["node", "layer", "inputs", "output", "parameters"];
        var rows = model.Nodes.Select(n => new[]
        {
            n.Name, n.Layer.Describe(), string.Join(", ", n.Inputs.Select(i => i.Name)), Tensor.Format(n.OutputShape),
            n.Layer.Parameters.Sum(p => (long)p.Value.Length).ToString("N0"),
        }).ToList();
        var widths = header.Select((h, c) => Math.Max(h.Length, rows.Max(row => row[c].Length))).ToArray();
        string Line(string[] cells) => string.Join("  ", cells.Select((v, c) => c == cells.Length - 1 ? v.PadLeft(widths[c]) : v.PadRight(widths[c]))).TrimEnd();
        Console.WriteLine(Line(header));
        foreach (var row in rows) Console.WriteLine(Line(row));
        long buffers = model.Buffers.Sum(b => (long)b.Value.Length);
        Console.WriteLine($"total: {model.ParameterCount:N0} parameters in {model.Parameters.Count} tensors" +
            (model.Buffers.Count > 0 ? $"; buffers: {buffers:N0} values in {model.Buffers.Count} tensors (not trained)" : ""));
    }
}
