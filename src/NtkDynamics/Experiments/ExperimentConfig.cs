using System.Globalization;
using NtkDynamics.Continual;
using NtkDynamics.Nn;
using NtkDynamics.Strategies;
using YamlDotNet.Serialization;

namespace NtkDynamics.Experiments;

/// <summary>The network: the paper's CNN, an MLP, the CIFAR ResNet-18 (width = nf), a graph (a file or inline,
/// <see cref="GraphFile"/>) or an ONNX file (<paramref name="Onnx"/>: its full path, docs/onnx.md), its width and parametrisation.</summary>
public sealed record ModelConfig(string Kind, int Width, int[] Hidden, string Parametrisation, double SigmaW, double SigmaB, GraphFile? Graph = null, string? Onnx = null);

/// <summary>The data set (a name from `ntk data list` or a path), optional per-class subsets, image size for image folders.</summary>
public sealed record DataConfig(string Dataset, int? TrainPerClass, int? TestPerClass, int? ImageSize, bool Cache);

/// <summary>The task stream (keys as the Continual builders name them).</summary>
public sealed record StreamConfig(string Kind, int Tasks, int ClassesPerTask, int[]? ClassOrder, bool Shuffle, int[] Shifts,
    int[]? Set0, int[]? Set1, double[] Alphas, int? TrainSize, int? TestSize, IReadOnlyList<TaskSpec> Custom,
    string Head, int ProbeSize, string ProbeSplit, double[]? Angles = null);

/// <summary>SGD settings; <paramref name="Lr"/> is a number or a formula of width ("0.1/width"), <paramref name="LrValue"/> its value.</summary>
public sealed record TrainConfig(string Lr, double LrValue, double Momentum, double WeightDecay, bool Nesterov, int BatchSize,
    int EpochsPerTask, int? MaxSteps, string Loss);

/// <summary>When and what eNTK to measure: every <paramref name="Every"/> steps, every <paramref name="DenseEvery"/> steps in the
/// <paramref name="DenseWindow"/> steps after each task switch. <paramref name="BatchNorm"/>: "running" normalises by the running
/// statistics (model.eval()), "probe" by the probe's own batch statistics, held constant.</summary>
public sealed record NtkConfig(int Every, string Kind, int DenseWindow, int DenseEvery, bool SaveKernels, double BudgetGiB, string Method, int TopEigenvalues,
    string BatchNorm = "running");

/// <summary>Evaluate every task's test set every <paramref name="EveryEpochs"/> epochs (or every <paramref name="EverySteps"/> steps when set) and at each task's end.</summary>
public sealed record EvalConfig(int EveryEpochs, int? EverySteps, int BatchSize);

/// <summary>Checkpoint every <paramref name="EverySteps"/> steps and at every task switch; keep the newest <paramref name="Keep"/>.</summary>
public sealed record CheckpointConfig(int EverySteps, int Keep);

/// <summary>A whole experiment, every value resolved (defaults filled in).</summary>
public sealed record ExperimentConfig(string Name, ulong Seed, string Output, ModelConfig Model, DataConfig Data, StreamConfig Stream,
    TrainConfig Train, NtkConfig Ntk, EvalConfig Eval, CheckpointConfig Checkpoint, StrategyOptions Strategy)
{
    /// <summary>Reads a config file; every missing value gets its default; unknown keys and bad values are errors naming the key.</summary>
    public static ExperimentConfig Load(string path) => FromNode(ConfigNode.Load(path), System.IO.Path.GetFileNameWithoutExtension(path));

    public static ExperimentConfig Parse(string text, string source = "config") => FromNode(ConfigNode.Parse(text, source), "experiment");

    /// <summary>
    /// The demo (README's main job): 2 tasks x 5 classes of the embedded Fashion-MNIST (300 train images per class), the
    /// paper's CNN at width 32, SGD with momentum, eNTK on a 32-image probe every 4 steps and every step for 24 steps after
    /// the switch.
    /// </summary>
    public static ExperimentConfig Demo() => Parse(DemoYaml, "demo");

    public const string DemoYaml = """
        name: demo
        seed: 0
        model: {kind: cnn, width: 32, parametrisation: standard}
        data: {dataset: embedded}
        stream: {kind: class-split, tasks: 2, classes_per_task: 5, probe_size: 32}
        train: {lr: 0.02, momentum: 0.9, batch_size: 64, epochs_per_task: 6}
        ntk: {every: 4, kind: trace, dense_window: 24, dense_every: 1}
        eval: {every_epochs: 1}
        checkpoint: {every_steps: 50}
        """;

    /// <summary>
    /// Reads every section of a config. Each section has its own reader below; a new section adds one (and, when its
    /// values must be checked against the data set or the model, a step in <see cref="Experiment.Build"/>). Keys that the
    /// chosen kind does not use are errors unless they hold their default (so a resolved config.yaml reads back).
    /// </summary>
    public static ExperimentConfig FromNode(ConfigNode root, string defaultName)
    {
        string name = root.String("name", defaultName)!;
        if (name.Length == 0 || name.IndexOfAny(System.IO.Path.GetInvalidFileNameChars()) >= 0 || name.Contains(' ') || name is "." or "..")
            throw root.Error("name", $"'{name}' cannot be a folder name (use letters, digits, '-', '_')");
        ulong seed = (ulong)root.Int("seed", 0, min: 0)!.Value;
        string output = root.String("output", "runs")!;
        if (output.Length == 0) throw root.Error("output", "must name a folder");
        var model = ReadModel(root.Child("model"));
        var data = ReadData(root.Child("data"));
        var stream = ReadStream(root.Child("stream"));
        var train = ReadTrain(root.Child("train"), model);
        var ntk = ReadNtk(root.Child("ntk"));
        var eval = ReadEval(root.Child("eval"));
        var checkpoint = ReadCheckpoint(root.Child("checkpoint"));
        var strategy = ReadStrategy(root.Child("strategy"));
        root.RejectUnknown();
        return new ExperimentConfig(name, seed, output, model, data, stream, train, ntk, eval, checkpoint, strategy) { Source = root.Source };
    }

    /// <summary>The file (or sweep cell) the config was read from, named first in every error about it.</summary>
    public string Source { get; init; } = "config";

    private static ModelConfig ReadModel(ConfigNode m)
    {
        var graph = ReadGraph(m);
        string? onnx = m.String("onnx", null);
        if (onnx is not null) return ReadOnnx(m, onnx, graph);
        string kind = m.Choice("kind", graph is null ? "cnn" : "graph", "cnn", "mlp", "resnet18", "graph", "onnx");
        if (kind == "onnx") throw m.Error("onnx", "an ONNX model needs its file (onnx: model.onnx)");
        if (kind == "graph" && graph is null) throw m.Error("graph", "a graph model needs its graph: a file (graph: net.yaml) or the graph itself");
        if (kind != "graph" && graph is not null) throw m.Error("graph", $"only for kind graph (this model is {kind})");
        if (graph is not null && m.Int("width", null) is not null) throw m.Error("width", "not used by a graph model (its layers say their sizes)");
        var hidden = m.Ints("hidden");
        if (kind != "mlp" && hidden is { Length: > 0 }) throw m.Error("hidden", $"only for kind mlp (this model is {kind})");
        if (hidden is not null && hidden.Any(h => h < 1)) throw m.Error("hidden", "sizes must be >= 1");
        hidden ??= kind == "mlp" ? [256, 256] : [];
        string parametrisation = m.Choice("parametrisation", "standard", "standard", "kaiming", "ntk");
        double sigmaW = m.Double("sigma_w", Math.Sqrt(2))!.Value, sigmaB = m.Double("sigma_b", 0.1)!.Value;
        if (parametrisation != "ntk")
            foreach (var (key, value, fallback) in new[] { ("sigma_w", sigmaW, Math.Sqrt(2)), ("sigma_b", sigmaB, 0.1) })
                if (value != fallback) throw m.Error(key, $"only for parametrisation ntk (this model is {parametrisation})");
        // ResNet-18's width is nf: 20 is GEM's and Mammoth's reduced one, 64 the standard.
        return new ModelConfig(kind, m.Int("width", kind == "resnet18" ? 20 : 32, min: 1)!.Value, hidden,
            parametrisation, sigmaW, sigmaB, graph);
    }

    // model.onnx: an .onnx file (its path from the working folder, kept in full so that a run folder's config finds it from
    // anywhere); its weights are the model's, so standard parametrisation only and no sizes. Read in Experiment.Build.
    private static ModelConfig ReadOnnx(ConfigNode m, string path, GraphFile? graph)
    {
        if (path.Length == 0) throw m.Error("onnx", "must name an .onnx file");
        if (m.Choice("kind", "onnx", "cnn", "mlp", "resnet18", "graph", "onnx") != "onnx") throw m.Error("onnx", $"only for kind onnx (this model is {m.String("kind")})");
        if (graph is not null) throw m.Error("graph", "give a graph or an ONNX file, not both");
        if (m.Int("width", null) is not null) throw m.Error("width", "not used by an ONNX model (its layers say their sizes)");
        if (m.Ints("hidden") is { Length: > 0 }) throw m.Error("hidden", "not used by an ONNX model (its layers say their sizes)");
        string parametrisation = m.Choice("parametrisation", "standard", "standard", "kaiming", "ntk");
        if (parametrisation != "standard") throw m.Error("parametrisation", "an ONNX model computes with its own weights as PyTorch does: standard only");
        foreach (var (key, fallback) in new[] { ("sigma_w", Math.Sqrt(2)), ("sigma_b", 0.1) })
            if (m.Double(key, fallback) != fallback) throw m.Error(key, "only for parametrisation ntk (an ONNX model is standard)");
        return new ModelConfig("onnx", 32, [], "standard", Math.Sqrt(2), 0.1, Onnx: System.IO.Path.GetFullPath(path));
    }

    // model.graph: a graph file's path (from the working folder) or the graph inline (whose errors name model.graph); its
    // structure is checked here, its layers against the data's input shape in Experiment.Build.
    private static GraphFile? ReadGraph(ConfigNode m)
    {
        try
        {
            return m.Yaml("graph") switch
            {
                null => null,
                YamlDotNet.RepresentationModel.YamlScalarNode { Value: { } path } => GraphFile.Load(path),
                YamlDotNet.RepresentationModel.YamlMappingNode map => GraphFile.FromYaml(map, GraphKey),
                _ => throw m.Error("graph", "expected a graph file (net.yaml) or the graph itself (a mapping with nodes:)"),
            };
        }
        catch (InputException e) when (!e.Message.StartsWith(m.Source + ": ", StringComparison.Ordinal))
        {
            throw new InputException($"{m.Source}: {InGraph(e.Message)}");
        }
    }

    internal const string GraphKey = "model.graph";

    /// <summary>An error of the model's graph under the config key model.graph (an inline graph's errors name it already).</summary>
    internal static string InGraph(string message) => message.StartsWith(GraphKey + ": ", StringComparison.Ordinal) ? message : $"{GraphKey}: {message}";

    private static DataConfig ReadData(ConfigNode d)
    {
        string dataset = d.String("dataset", "embedded")!;
        if (dataset.Length == 0) throw d.Error("dataset", "must name a data set (see `ntk data list`) or a path");
        return new DataConfig(dataset, d.Int("train_per_class", null, 1), d.Int("test_per_class", null, 1), d.Int("image_size", null, 8), d.Bool("cache", true));
    }

    private static StreamConfig ReadStream(ConfigNode s)
    {
        var custom = s.Children("tasks_list").Select(t =>
        {
            var classes = t.Ints("classes") ?? throw t.Error("classes", "each task needs its classes");
            return new TaskSpec(classes, t.Doubles("weights"), t.Int("train_size", null, 1), t.Int("test_size", null, 1), t.String("name"));
        }).ToList();
        string kind = s.Choice("kind", custom.Count > 0 ? "custom" : "class-split",
            "class-split", "class-overlap", "frequency-mixture", "superclass-split", "custom", "permuted", "rotated");
        var stream = new StreamConfig(kind, s.Int("tasks", kind == "superclass-split" ? 20 : 2, 1)!.Value, s.Int("classes_per_task", 5, 1)!.Value,
            s.Ints("class_order"), s.Bool("shuffle", false), s.Ints("shifts") ?? [5], s.Ints("set0"), s.Ints("set1"),
            s.Doubles("alphas") ?? [0.1, 0.9], s.Int("train_size", null, 1), s.Int("test_size", null, 1), custom,
            s.Choice("head", "class-incremental", "class-incremental", "task-incremental"), s.Int("probe_size", 32, 1)!.Value,
            s.Choice("probe_split", "test", "test", "train"), s.Doubles("angles"));
        if (kind == "custom" && custom.Count == 0) throw s.Error("tasks_list", "a custom stream needs a list of tasks");
        if (kind == "frequency-mixture")
        {
            if (stream.TrainSize is null) throw s.Error("train_size", "a frequency mixture needs the number of train images per task");
            if (stream.TestSize is null) throw s.Error("test_size", "a frequency mixture needs the number of test images per task");
        }
        // The keys each kind reads; any other kind-specific key must hold its default.
        string[] uses = kind switch
        {
            "class-split" => ["tasks", "classes_per_task", "class_order", "shuffle"],
            "class-overlap" => ["classes_per_task", "shifts", "class_order"],
            "frequency-mixture" => ["alphas", "set0", "set1", "train_size", "test_size"],
            "superclass-split" => ["tasks", "class_order", "shuffle"],
            "permuted" => ["tasks"],
            "rotated" => ["tasks", "angles"],
            _ => ["tasks_list"],
        };
        var unused = new (string Key, bool IsDefault)[]
        {
            ("tasks", stream.Tasks == 2), ("classes_per_task", stream.ClassesPerTask == 5), ("class_order", stream.ClassOrder is null),
            ("shuffle", !stream.Shuffle), ("shifts", stream.Shifts is [5]), ("alphas", stream.Alphas is [0.1, 0.9]), ("set0", stream.Set0 is null),
            ("set1", stream.Set1 is null), ("train_size", stream.TrainSize is null), ("test_size", stream.TestSize is null), ("tasks_list", custom.Count == 0),
            ("angles", stream.Angles is null),
        };
        foreach (var (key, isDefault) in unused)
            if (!isDefault && !uses.Contains(key))
                throw s.Error(key, $"not used by a {kind} stream (it reads {string.Join(", ", uses)})");
        return stream;
    }

    private static TrainConfig ReadTrain(ConfigNode t, ModelConfig model)
    {
        string lr = t.String("lr", "0.01")!;
        var variables = model.Graph is null && model.Onnx is null ? new Dictionary<string, double> { ["width"] = model.Width } : [];
        double lrValue = Formula.Evaluate(lr, variables, $"{t.Source}: {t.Key("lr")}");
        if (lrValue <= 0) throw t.Error("lr", $"must be positive, got {lrValue}");
        var train = new TrainConfig(lr, lrValue, t.Double("momentum", 0)!.Value, t.Double("weight_decay", 0)!.Value, t.Bool("nesterov", false),
            t.Int("batch_size", 64, 1)!.Value, t.Int("epochs_per_task", 3, 1)!.Value, t.Int("max_steps", null, 1),
            t.Choice("loss", "cross-entropy", "cross-entropy", "mse"));
        if (train.Momentum is < 0 or >= 1) throw t.Error("momentum", $"must be in [0, 1), got {train.Momentum}");
        if (train.WeightDecay < 0) throw t.Error("weight_decay", $"must be >= 0, got {train.WeightDecay}");
        if (train.Nesterov && train.Momentum == 0) throw t.Error("nesterov", "needs a momentum > 0");
        return train;
    }

    private static NtkConfig ReadNtk(ConfigNode n)
    {
        var ntk = new NtkConfig(n.Int("every", 10, 1)!.Value, n.Choice("kind", "trace", "trace", "full", "logit"),
            n.Int("dense_window", 0, 0)!.Value, n.Int("dense_every", 1, 1)!.Value, n.Bool("save_kernels", true),
            n.Double("budget_gib", 3)!.Value, n.Choice("method", "auto", "auto", "patch-gram", "per-sample"), n.Int("top_eigenvalues", 5, 1)!.Value,
            n.Choice("batchnorm", "running", "running", "probe"));
        if (ntk.BudgetGiB <= 0) throw n.Error("budget_gib", "must be positive");
        if (ntk.DenseWindow == 0 && ntk.DenseEvery != 1) throw n.Error("dense_every", "only with a dense_window > 0");
        return ntk;
    }

    private static EvalConfig ReadEval(ConfigNode e)
    {
        var eval = new EvalConfig(e.Int("every_epochs", 1, 1)!.Value, e.Int("every_steps", null, 1), e.Int("batch_size", 500, 1)!.Value);
        if (eval.EverySteps is not null && eval.EveryEpochs != 1) throw e.Error("every_epochs", "give every_epochs or every_steps, not both");
        return eval;
    }

    private static CheckpointConfig ReadCheckpoint(ConfigNode c) => new(c.Int("every_steps", 100, 1)!.Value, c.Int("keep", 2, 1)!.Value);

    // strategy: {kind, ...}: each kind reads only its own keys (StrategyOptions.KeysOf), so another kind's key is an unknown key.
    private static StrategyOptions ReadStrategy(ConfigNode st)
    {
        string kind = st.Choice("kind", "finetune", [.. StrategyOptions.Kinds]);
        var d = StrategyOptions.Defaults(kind);
        var keys = StrategyOptions.KeysOf(kind);
        int I(string key, int fallback, int min) => keys.Contains(key) ? st.Int(key, fallback, min)!.Value : fallback;
        double D(string key, double fallback, double min, double max = double.PositiveInfinity)
        {
            if (!keys.Contains(key)) return fallback;
            double v = st.Double(key, fallback)!.Value;
            if (v < min || v > max) throw st.Error(key, $"must be in [{min}, {max}], got {v}");
            return v;
        }
        var options = d with
        {
            Buffer = I("buffer", d.Buffer, 1), ReplayBatch = I("replay_batch", d.ReplayBatch, 1),
            Alpha = D("alpha", d.Alpha, 0), Beta = D("beta", d.Beta, 0), Lambda = D("lambda", d.Lambda, 0), Gamma = D("gamma", d.Gamma, 0, 1),
            Temperature = D("temperature", d.Temperature, 0), WarmupEpochs = keys.Contains("warmup_epochs") ? st.Int("warmup_epochs", null, 0) : null,
        };
        if (kind == "lwf" && options.Temperature <= 0) throw st.Error("temperature", $"must be positive, got {options.Temperature}");
        return options;
    }

    /// <summary>The fully resolved config as YAML: loading it gives this config back.</summary>
    public string ToYaml()
    {
        static string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);
        var tree = new Dictionary<string, object?>
        {
            ["name"] = Name, ["seed"] = Seed, ["output"] = Output,
            ["model"] = new Dictionary<string, object?> { ["kind"] = Model.Kind }
                // A graph inline, so that a run folder's config holds the graph it ran (the file may change or go).
                .Concat(Model.Graph is { } graph ? [new("graph", graph.ToPlain())]
                    : Model.Onnx is { } onnx ? [new("onnx", onnx)]
                    : new KeyValuePair<string, object?>[] { new("width", Model.Width), new("hidden", Model.Hidden) })
                .Concat([new("parametrisation", Model.Parametrisation), new("sigma_w", F(Model.SigmaW)), new("sigma_b", F(Model.SigmaB))])
                .ToDictionary(),
            ["data"] = new Dictionary<string, object?>
            {
                ["dataset"] = Data.Dataset, ["train_per_class"] = Data.TrainPerClass, ["test_per_class"] = Data.TestPerClass,
                ["image_size"] = Data.ImageSize, ["cache"] = Data.Cache,
            },
            ["stream"] = new Dictionary<string, object?>
            {
                ["kind"] = Stream.Kind, ["tasks"] = Stream.Tasks, ["classes_per_task"] = Stream.ClassesPerTask, ["class_order"] = Stream.ClassOrder,
                ["shuffle"] = Stream.Shuffle, ["shifts"] = Stream.Shifts, ["set0"] = Stream.Set0, ["set1"] = Stream.Set1,
                ["alphas"] = Stream.Alphas.Select(F).ToArray(), ["train_size"] = Stream.TrainSize, ["test_size"] = Stream.TestSize,
                ["tasks_list"] = Stream.Custom.Select(t => new Dictionary<string, object?>
                {
                    ["classes"] = t.Classes, ["weights"] = t.Weights?.Select(F).ToArray(), ["train_size"] = t.TrainSize,
                    ["test_size"] = t.TestSize, ["name"] = t.Name,
                }).ToArray(),
                ["head"] = Stream.Head, ["probe_size"] = Stream.ProbeSize, ["probe_split"] = Stream.ProbeSplit,
                ["angles"] = Stream.Angles?.Select(F).ToArray(),
            },
            ["train"] = new Dictionary<string, object?>
            {
                ["lr"] = Train.Lr, ["momentum"] = F(Train.Momentum), ["weight_decay"] = F(Train.WeightDecay), ["nesterov"] = Train.Nesterov,
                ["batch_size"] = Train.BatchSize, ["epochs_per_task"] = Train.EpochsPerTask, ["max_steps"] = Train.MaxSteps, ["loss"] = Train.Loss,
            },
            ["ntk"] = new Dictionary<string, object?>
            {
                ["every"] = Ntk.Every, ["kind"] = Ntk.Kind, ["dense_window"] = Ntk.DenseWindow, ["dense_every"] = Ntk.DenseEvery,
                ["save_kernels"] = Ntk.SaveKernels, ["budget_gib"] = F(Ntk.BudgetGiB), ["method"] = Ntk.Method, ["top_eigenvalues"] = Ntk.TopEigenvalues,
                ["batchnorm"] = Ntk.BatchNorm,
            },
            ["eval"] = new Dictionary<string, object?> { ["every_epochs"] = Eval.EveryEpochs, ["every_steps"] = Eval.EverySteps, ["batch_size"] = Eval.BatchSize },
            ["checkpoint"] = new Dictionary<string, object?> { ["every_steps"] = Checkpoint.EverySteps, ["keep"] = Checkpoint.Keep },
            ["strategy"] = new Dictionary<string, object?> { ["kind"] = Strategy.Kind }
                .Concat(StrategyOptions.KeysOf(Strategy.Kind).Select(k => KeyValuePair.Create(k, Strategy.Value(k) is double v ? F(v) : Strategy.Value(k))))
                .ToDictionary(),
        };
        return $"# lr = {Train.LrValue.ToString("R", CultureInfo.InvariantCulture)}\n" + new SerializerBuilder().Build().Serialize(tree);
    }
}
