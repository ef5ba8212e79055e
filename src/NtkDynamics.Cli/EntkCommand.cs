using System.CommandLine;
using System.Diagnostics;
using NtkDynamics.Continual;
using NtkDynamics.Data;
using NtkDynamics.Formats;
using NtkDynamics.Nn;
using NtkDynamics.Ntk;
using NtkDynamics.Ntk.Metrics;
using NtkDynamics.Tensors;

namespace NtkDynamics.Cli;

/// <summary>
/// `ntk entk`: the empirical NTK of a model (built from options or loaded from a PyTorch state dict) on a probe (a .npy
/// file or a class-balanced draw from a data set); writes it as float64 .npy and prints its spectrum and alignment.
/// Everything is checked and computed before any file is written.
/// </summary>
internal static class EntkCommand
{
    /// <summary>The parsed options.</summary>
    private sealed record Args(
        string? Model, string? Onnx, int Width, string? Hidden, string Parametrisation, ulong Seed, int? Classes, int? ImageSize, int? Channels,
        string? Checkpoint, string? Probe, string? Labels, string? Data, int ProbeSize,
        string Kind, int? Logit, double BudgetGib, string Method, string? Out, string? PerLayer, bool NoFusion, bool ProbeStatistics);

    /// <summary>Probe images (n, ...) and their labels when known.</summary>
    private sealed record ProbeBatch(Tensor Images, int[]? Labels, string Source);

    public static Command Create()
    {
        var model = new Option<string?>("--model") { Description = "architecture to build: cnn (the paper's CNN), mlp or resnet18 (the CIFAR ResNet-18)" };
        var onnx = new Option<string?>("--onnx") { Description = "an .onnx file exported from PyTorch (docs/onnx.md) instead of --model; with --checkpoint, that state dict's weights (a run's checkpoints/step_*/model.safetensors)" };
        var width = new Option<int>("--width") { Description = "CNN channels, ResNet-18's nf (20: the reduced one), or the MLP's hidden size when --hidden is not given", DefaultValueFactory = _ => 32 };
        var hidden = new Option<string?>("--hidden") { Description = "MLP hidden sizes, comma-separated (default: width,width)" };
        var par = new Option<string>("--parametrisation") { Description = "standard, kaiming or ntk (also how a checkpoint's weights are used)", DefaultValueFactory = _ => "standard" };
        var seed = new Option<ulong>("--seed") { Description = "seed of the initialisation and of the probe drawn from --data", DefaultValueFactory = _ => 0 };
        var classes = new Option<int?>("--classes") { Description = "logits (default: the data set's classes, else 10)" };
        var imageSize = new Option<int?>("--image-size") { Description = "CNN image size (default: the probe's, else 32); resizes --data images; picks a checkpoint's image size" };
        var channels = new Option<int?>("--channels") { Description = "CNN input channels (default: the probe's, else 3)" };
        var checkpoint = new Option<string?>("--checkpoint") { Description = "a .safetensors state dict (names and shapes as ../shared/bench/cnn.py) instead of --model" };
        var probe = new Option<string?>("--probe") { Description = "probe .npy, float32 or float64: [n, C, H, W] (CNN) or [n, features] (MLP)" };
        var labels = new Option<string?>("--labels") { Description = "the --probe's labels, an integer .npy of n values (for the alignment)" };
        var data = new Option<string?>("--data") { Description = "draw the probe from this data set's test split, class-balanced (see `ntk data list`)" };
        var probeSize = new Option<int>("--probe-size") { Description = "probe images drawn from --data", DefaultValueFactory = _ => 32 };
        var kind = new Option<string>("--kind") { Description = "full (nk x nk, sample-major), trace (n x n, summed over logits) or logit (n x n, one logit)", DefaultValueFactory = _ => "trace" };
        var logit = new Option<int?>("--logit") { Description = "the logit of --kind logit (default 0)" };
        var budget = new Option<double>("--budget-gib") { Description = "work memory for the kernel (cotangents, patch Grams, Jacobian chunks), GiB", DefaultValueFactory = _ => 3 };
        var method = new Option<string>("--method") { Description = "convolution blocks: auto (count flops per layer), patch-gram or per-sample", DefaultValueFactory = _ => "auto" };
        var output = new Option<string?>("--out") { Description = "write the kernel here (.npy, float64)" };
        var perLayer = new Option<string?>("--per-layer") { Description = "write each parameter's block into this folder (<name>.npy, float64)" };
        var noFusion = new Option<bool>("--no-fusion") { Description = "every node runs its own backward (no pooled cotangents for Conv2d -> ReLU -> max pool): the same kernel, slower" };
        var probeStatistics = new Option<bool>("--probe-statistics") { Description = "BatchNorm normalises by the probe's own batch statistics, held constant (default: its running statistics, as model.eval())" };
        var cmd = new Command("entk", "Compute a model's empirical NTK on a probe, write it as .npy and print its metrics")
        {
            model, onnx, width, hidden, par, seed, classes, imageSize, channels, checkpoint, probe, labels, data, probeSize, kind, logit, budget, method, output, perLayer,
            noFusion, probeStatistics,
        };
        cmd.SetAction(r => Run(new Args(
            r.GetValue(model), r.GetValue(onnx), r.GetValue(width), r.GetValue(hidden), r.GetValue(par)!, r.GetValue(seed), r.GetValue(classes),
            r.GetValue(imageSize), r.GetValue(channels), r.GetValue(checkpoint), r.GetValue(probe), r.GetValue(labels), r.GetValue(data),
            r.GetValue(probeSize), r.GetValue(kind)!, r.GetValue(logit), r.GetValue(budget), r.GetValue(method)!, r.GetValue(output), r.GetValue(perLayer),
            r.GetValue(noFusion), r.GetValue(probeStatistics))));
        return cmd;
    }

    private static int Run(Args a)
    {
        var kind = NtkOptions.ParseKind(a.Kind, "--kind");
        if (a.Method is not ("auto" or "patch-gram" or "per-sample"))
            throw new InputException($"--method: '{a.Method}' is not a method (expected auto, patch-gram or per-sample)");
        if (a.Logit is not null && kind != NtkKind.Logit) throw new InputException("--logit: only with --kind logit");
        if (!(a.BudgetGib > 0) || double.IsInfinity(a.BudgetGib)) throw new InputException($"--budget-gib: must be a positive number, got {a.BudgetGib}");
        CheckFolder(a.Out, "--out");
        if (a.PerLayer is not null && File.Exists(a.PerLayer)) throw new InputException($"--per-layer: {a.PerLayer} is a file, expected a folder");

        var (batch, dataClasses) = LoadProbe(a);
        var model = BuildModel(a, batch.Images, dataClasses);
        var probe = Fit(model, batch);
        int k = model.Classes, logit = a.Logit ?? 0;
        if (batch.Labels is { } given && Array.FindIndex(given, y => y >= k) is var stray and >= 0)
            throw new InputException(a.Labels is { } labelFile
                ? $"{labelFile}: label {given[stray]} at entry {stray} is out of range for a model with {k} classes"
                : $"--classes: the model has {k} classes but the probe from {a.Data} has label {given[stray]}");
        if (kind == NtkKind.Logit && (uint)logit >= (uint)k) throw new InputException($"--logit: {logit} is not a logit of a model with {k} outputs");

        var options = new NtkOptions(kind, logit, (long)(a.BudgetGib * (1L << 30)), a.Method, Fuse: !a.NoFusion, ProbeBatchStatistics: a.ProbeStatistics);
        var watch = Stopwatch.StartNew();
        var kernel = EmpiricalNtk.Compute(model, probe, options);
        double seconds = watch.Elapsed.TotalSeconds;
        CheckFinite(kernel.Values, kernel.Size);

        if (a.Out is not null) Npy.Write(a.Out, kernel.Values, kernel.Size, kernel.Size);
        if (a.PerLayer is not null)
        {
            Directory.CreateDirectory(a.PerLayer);
            foreach (var (name, block) in kernel.PerParameter) Npy.Write(Path.Combine(a.PerLayer, name + ".npy"), block, kernel.Size, kernel.Size);
        }
        Report(model, batch, probe, kernel, options, seconds, a);
        return 0;
    }

    /// <summary>The probe from --probe (and --labels) or drawn from --data; also the data set's class count.</summary>
    private static (ProbeBatch Batch, int? DataClasses) LoadProbe(Args a)
    {
        if ((a.Probe is null) == (a.Data is null)) throw new InputException("entk: give the probe as --probe FILE.npy or --data NAME (one of them)");
        if (a.Data is { } name)
        {
            if (a.Labels is not null) throw new InputException("--labels: only with --probe (a --data probe has its own labels)");
            if (a.ProbeSize <= 0) throw new InputException($"--probe-size: must be positive, got {a.ProbeSize}");
            var set = DataSets.Load(name, new LoadOptions(a.ImageSize));
            var stream = Streams.ClassSplit(set, 1, set.NumClasses, seed: a.Seed, options: new StreamOptions(ProbeSize: a.ProbeSize));
            var p = stream.Probe;
            return (new ProbeBatch(p.Images, p.Labels, $"{set.Name}, {p.Indices.Length} {p.Split.ToString().ToLowerInvariant()} images, class-balanced, seed {a.Seed}"), set.NumClasses);
        }
        string path = a.Probe!;
        var array = Npy.Read(path);
        if (array.DType is not (DType.Float32 or DType.Float64)) throw new InputException($"{path}: expected float32 or float64 images, got {array.DType.Name()}");
        if (array.Shape.Length < 2 || array.Shape[0] < 1)
            throw new InputException($"{path}: expected [n, C, H, W] or [n, features] with n >= 1, got {Tensor.Format(array.Shape)}");
        var images = array.ToTensor();
        int bad = Array.FindIndex(images.Data, v => !float.IsFinite(v));
        if (bad >= 0) throw new InputException($"{path}: element {bad} is {images.Data[bad]} (not finite as float32)");
        return (new ProbeBatch(images, a.Labels is null ? null : ReadLabels(a.Labels, images.Shape[0]), path), null);
    }

    private static int[] ReadLabels(string path, int n)
    {
        var array = Npy.Read(path);
        if (array.Shape.Length != 1 || array.Shape[0] != n) throw new InputException($"{path}: expected {n} labels, shape [{n}], got {Tensor.Format(array.Shape)}");
        var labels = array.ToInt64();
        foreach (long v in labels)
            if (v < 0 || v > int.MaxValue) throw new InputException($"{path}: label {v} is not a class index");
        return Array.ConvertAll(labels, v => (int)v);
    }

    private static Model BuildModel(Args a, Tensor probe, int? dataClasses)
    {
        var par = Parametrisation.Parse(a.Parametrisation, "--parametrisation");
        bool image = probe.Rank == 4;
        if (a.Onnx is { } file)
        {
            if (a.Model is not null || a.Hidden is not null || a.Classes is not null || a.Channels is not null || a.ImageSize is not null || par.Name != "standard")
                throw new InputException("--onnx: the architecture and weights come from the file; drop --model, --hidden, --classes, --channels, --image-size and --parametrisation");
            var imported = Onnx.OnnxModel.Load(file);
            foreach (string warning in imported.Warnings) Console.Error.WriteLine($"warning: {warning}");
            var onnxModel = imported.ToModel(a.Seed);
            if (a.Checkpoint is { } weights) onnxModel.LoadStateDict(SafeTensors.Read(weights), weights);
            return onnxModel;
        }
        if (a.Checkpoint is { } path)
        {
            if (a.Model is not null || a.Hidden is not null || a.Classes is not null || a.Channels is not null)
                throw new InputException("--checkpoint: the architecture comes from the checkpoint; drop --model, --hidden, --classes and --channels");
            var weights = SafeTensors.Read(path);
            var spec = ModelSpec.FromStateDict(weights.ToDictionary(w => w.Key, w => w.Value.Shape), path, a.ImageSize ?? (image ? probe.Shape[2] : null));
            var loaded = spec.Build(par, a.Seed);
            loaded.LoadStateDict(weights, path);
            return loaded;
        }
        int classes = a.Classes ?? dataClasses ?? 10;
        switch (a.Model)
        {
            case "cnn" or "resnet18":
                if (a.Hidden is not null) throw new InputException("--hidden: only for --model mlp");
                int channels = a.Channels ?? (image ? probe.Shape[1] : 3), size = a.ImageSize ?? (image ? probe.Shape[2] : 32);
                return (a.Model == "cnn" ? ModelSpec.Cnn(a.Width, channels, size, classes) : ModelSpec.ResNet18(a.Width, channels, size, classes)).Build(par, a.Seed);
            case "mlp":
                if (a.Channels is not null) throw new InputException("--channels: only for --model cnn (an MLP takes the probe's features)");
                return ModelSpec.Mlp([Tensor.Count(probe.Shape.AsSpan(1))], ParseHidden(a.Hidden, a.Width), classes).Build(par, a.Seed);
            case null:
                throw new InputException("entk: give the model as --model cnn|mlp|resnet18, --checkpoint FILE.safetensors or --onnx FILE.onnx");
            default:
                throw new InputException($"--model: '{a.Model}' is not a model (expected cnn, mlp or resnet18)");
        }
    }

    private static int[] ParseHidden(string? hidden, int width) => hidden is null ? [width, width] : ModelCommand.Sizes(hidden, "--hidden", "256,256");

    /// <summary>The probe as the model takes it: flattened for a model of flat inputs (an MLP); otherwise the shape must match.</summary>
    private static Tensor Fit(Model model, ProbeBatch batch)
    {
        var x = batch.Images;
        int n = x.Shape[0];
        if (model.InputShape.Length == 1 && Tensor.Count(x.Shape.AsSpan(1)) == Tensor.Count(model.InputShape)) return x.Reshape([n, .. model.InputShape]);
        if (!x.Shape.AsSpan(1).SequenceEqual(model.InputShape))
            throw new InputException($"{batch.Source}: probe of shape {Tensor.Format(x.Shape)} does not fit {model.Description}, which takes [n, {string.Join(", ", model.InputShape)}]");
        return x;
    }

    private static void CheckFolder(string? file, string option)
    {
        if (file is null) return;
        if (Directory.Exists(file)) throw new InputException($"{option}: {file} is a folder, expected a file name");
        string folder = Path.GetDirectoryName(Path.GetFullPath(file))!;
        if (!Directory.Exists(folder)) throw new InputException($"{option}: folder {folder} does not exist");
    }

    // kernel is (size, size)
    private static void CheckFinite(double[] kernel, int size)
    {
        int bad = Array.FindIndex(kernel, v => !double.IsFinite(v));
        if (bad >= 0)
            throw new InputException($"kernel: element [{bad / size}, {bad % size}] is {kernel[bad]} (not finite): the weights or the probe overflow float32; nothing written");
    }

    private static void Report(Model model, ProbeBatch batch, Tensor probe, NtkKernel kernel, NtkOptions options, double seconds, Args a)
    {
        string what = kernel.Kind switch { NtkKind.Full => "full", NtkKind.Trace => "trace", _ => $"logit {options.Logit}" };
        Console.WriteLine($"model               {model.Description}, {model.Parametrisation.Name} parametrisation, {model.ParameterCount:N0} parameters");
        Console.WriteLine($"probe               {batch.Source}: {Tensor.Format(probe.Shape)}");
        Console.WriteLine($"kernel              {what}, {kernel.Size} x {kernel.Size}, float64{(a.Out is null ? "" : $" -> {a.Out}")}{(a.PerLayer is null ? "" : $"; per parameter -> {a.PerLayer}/")}");
        Console.WriteLine($"methods             {string.Join(", ", kernel.Methods.Select(m => $"{m.Key} {m.Value}"))}");
        if (kernel.Fusions.Count > 0) Console.WriteLine($"fused               {string.Join(", ", kernel.Fusions)}");
        Console.WriteLine($"time                {seconds:F3} s ({Blas.Current.Name}, {Blas.Current.Threads} threads, budget {a.BudgetGib:G4} GiB)");
        var s = Spectrum.Of(kernel.Values, "kernel");
        double trace = Kernels.Trace(kernel.Values);
        Console.WriteLine($"lambda_max          {s.Max:G6}");
        Console.WriteLine($"top eigenvalues     {string.Join(", ", s.Top(5).Select(v => v.ToString("G4")))}");
        Console.WriteLine($"lambda_min          {s.Min:G6}");
        Console.WriteLine($"trace               {trace:G6}");
        Console.WriteLine($"effective rank      {s.EffectiveRank:F3}");
        Console.WriteLine($"participation ratio {s.ParticipationRatio:F3}");
        Console.WriteLine($"condition number    {s.ConditionNumber:G4}");
        Console.WriteLine($"label alignment     {Alignment(kernel, batch.Labels)}");
        Console.WriteLine("trace share per layer:");
        var layers = kernel.PerLayer();
        int width = Math.Max(8, layers.Keys.Max(l => l.Length));
        foreach (var (layer, block) in layers)
            Console.WriteLine($"  {layer.PadRight(width)} {100 * Kernels.Trace(block) / trace,6:F2} %");
    }

    /// <summary>Centred (CKA) and uncentred alignment with the label kernel, or why there is none.</summary>
    private static string Alignment(NtkKernel kernel, int[]? labels)
    {
        if (labels is null) return "- (no labels: give --labels or use --data)";
        int top = labels.Max();
        if (kernel.Kind == NtkKind.Full && top >= kernel.Logits) return $"- (label {top} has no logit among the model's {kernel.Logits})";
        int classes = Math.Max(kernel.Logits, top + 1);
        return $"{LabelAlignment.Centred(kernel.Values, labels, classes):F4} centred (CKA with the label kernel), " +
            $"{LabelAlignment.Uncentred(kernel.Values, labels, classes):F4} uncentred";
    }
}
