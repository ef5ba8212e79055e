using NtkDynamics.Continual;
using NtkDynamics.Data;
using NtkDynamics.Nn;
using NtkDynamics.Strategies;

namespace NtkDynamics.Experiments;

/// <summary>
/// The objects a config describes: the task stream (with its data), the freshly initialised model and the strategy that
/// trains it. Building them is
/// also the complete check of a config against its data set, so it happens before anything is written (a run folder,
/// a sweep's cells): each section is checked in its own step of <see cref="Build"/>, and every problem is one
/// <see cref="InputException"/> that starts with the config's source and names the key.
/// </summary>
public sealed class Experiment
{
    public ExperimentConfig Config { get; }
    public TaskStream Stream { get; }
    public Model Model { get; }
    /// <summary>Optimiser steps of the whole run, task by task.</summary>
    public Schedule Schedule { get; }

    /// <summary>How the model is trained task after task (fine-tuning by default).</summary>
    public IStrategy Strategy { get; }

    /// <summary>Builds another model of the same architecture and initialisation (a strategy's copy of the model).</summary>
    public Func<Model> NewModel { get; }

    private Experiment(ExperimentConfig config, TaskStream stream, Model model, Func<Model> newModel, IStrategy strategy, Schedule schedule)
    {
        Config = config; Stream = stream; Model = model; NewModel = newModel; Strategy = strategy; Schedule = schedule;
    }

    /// <summary>
    /// Loads the data (through <paramref name="data"/> when given, so a sweep loads each data set once), builds the stream
    /// and the model and checks every section against them. Writes nothing.
    /// </summary>
    public static Experiment Build(ExperimentConfig config, Action<string>? log = null, DataCache? data = null)
    {
        try
        {
            var set = LoadData(config, data ?? new DataCache(), log);
            var stream = BuildStream(config, set);
            var newModel = ModelFactory(config, set, stream);
            var model = newModel();
            var strategy = BuildStrategy(config, stream, model, newModel);
            var schedule = CheckSchedule(config, stream, strategy);
            return new Experiment(config, stream, model, newModel, strategy, schedule);
        }
        catch (InputException e) when (!e.Message.StartsWith(config.Source + ": ", StringComparison.Ordinal))
        {
            throw new InputException($"{config.Source}: {e.Message}");
        }
    }

    // data: the data set exists, reads cleanly (labels in range), and has the per-class subsets asked for.
    private static ImageDataset LoadData(ExperimentConfig config, DataCache cache, Action<string>? log)
    {
        var d = config.Data;
        var set = cache.Load(d.Dataset, new LoadOptions(d.ImageSize, d.Cache, Log: log));
        return d.TrainPerClass is not null || d.TestPerClass is not null ? set.Subset(d.TrainPerClass, d.TestPerClass, config.Seed) : set;
    }

    // stream: classes named exist, shifts and mixture sets are in range, every task and probe has the images it draws.
    private static TaskStream BuildStream(ExperimentConfig config, ImageDataset data)
    {
        var s = config.Stream;
        var options = new StreamOptions(s.Head == "task-incremental" ? HeadKind.TaskIncremental : HeadKind.ClassIncremental, s.ProbeSize,
            s.ProbeSplit == "train" ? Split.Train : Split.Test);
        return s.Kind switch
        {
            "class-split" => Streams.ClassSplit(data, s.Tasks, s.ClassesPerTask, s.ClassOrder, s.Shuffle, config.Seed, options),
            "class-overlap" => Streams.ClassOverlap(data, s.ClassesPerTask, s.Shifts, s.ClassOrder, config.Seed, options),
            "frequency-mixture" => Streams.FrequencyMixture(data, s.Alphas, s.TrainSize!.Value, s.TestSize!.Value, s.Set0, s.Set1, config.Seed, options),
            "superclass-split" => Streams.SuperclassSplit(data, s.Tasks, s.ClassOrder, s.Shuffle, config.Seed, options),
            "permuted" => Streams.Permuted(data, s.Tasks, config.Seed, options),
            "rotated" => Streams.Rotated(data, s.Tasks, s.Angles, config.Seed, options),
            _ => Streams.Custom(data, s.Custom, config.Seed, options),
        };
    }

    // model: the architecture fits the data's image shape and the stream's classes. Returns how to build it (and copies of it).
    private static Func<Model> ModelFactory(ExperimentConfig config, ImageDataset data, TaskStream stream)
    {
        var m = config.Model;
        Parametrisation par = m.Parametrisation == "ntk" ? new NtkParametrisation(m.SigmaW, m.SigmaB) : Parametrisation.Parse(m.Parametrisation);
        if (m.Graph is { } graph) return GraphFactory(graph, [data.Channels, data.Height, data.Width], stream.NumClasses, par, config.Seed);
        if (m.Onnx is { } onnx) return OnnxFactory(onnx, [data.Channels, data.Height, data.Width], stream.NumClasses, config.Seed);
        if (m.Kind is "cnn" or "resnet18" && data.Height != data.Width)
            throw new InputException($"data.image_size: the {(m.Kind == "cnn" ? "CNN" : "ResNet-18")} needs square images, {config.Data.Dataset} has {data.Height}x{data.Width} (set data.image_size)");
        var spec = m.Kind switch
        {
            "cnn" => ModelSpec.Cnn(m.Width, data.Channels, data.Height, stream.NumClasses),
            "resnet18" => ModelSpec.ResNet18(m.Width, data.Channels, data.Height, stream.NumClasses),
            _ => ModelSpec.Mlp([data.Channels, data.Height, data.Width], m.Hidden, stream.NumClasses),
        };
        return () => spec.Build(par, config.Seed);
    }

    // model.graph: its layers fit the images, and its output gives a logit per class of the stream.
    private static Func<Model> GraphFactory(GraphFile graph, int[] images, int classes, Parametrisation par, ulong seed)
    {
        Model model;
        try
        {
            model = graph.Build(images, par, seed);
        }
        catch (InputException e)
        {
            throw new InputException(ExperimentConfig.InGraph(e.Message));
        }
        if (model.Classes != classes)
            throw new InputException(ExperimentConfig.InGraph($"{graph.Source}: the output '{graph.Output}' gives {model.Classes} logits, but the stream has {classes} classes"));
        // The run's model is the graph its config.yaml holds inline, from a file or not, so a resumed run (which reads the
        // graph from config.yaml) describes it as the first process did, in stream.json and every checkpoint.
        var inline = graph.WithSource(ExperimentConfig.GraphKey);
        return () => inline.Build(images, par, seed);
    }

    // model.onnx: the file imports, takes the data's images and gives a logit per class of the stream.
    private static Func<Model> OnnxFactory(string path, int[] images, int classes, ulong seed)
    {
        var onnx = Onnx.OnnxModel.Load(path);
        var model = onnx.ToModel(seed);
        if (!model.InputShape.SequenceEqual(images))
            throw new InputException($"model.onnx: {path} takes inputs {NtkDynamics.Tensors.Tensor.Format(model.InputShape)}, the data's images are {NtkDynamics.Tensors.Tensor.Format(images)} (export it with a dummy input of the data's shape)");
        if (model.Classes != classes)
            throw new InputException($"model.onnx: {path} gives {model.Classes} logits, but the stream has {classes} classes");
        return () => onnx.ToModel(seed);
    }

    // strategy: its memory fits the stream (A-GEM keeps buffer / tasks samples of each task).
    private static IStrategy BuildStrategy(ExperimentConfig config, TaskStream stream, Model model, Func<Model> newModel)
    {
        if (config.Strategy is { Kind: "agem" } agem && agem.Buffer < stream.Tasks.Count)
            throw new InputException($"strategy.buffer: A-GEM keeps buffer / tasks samples of each task; {agem.Buffer} is fewer than the {stream.Tasks.Count} tasks");
        var t = config.Train;
        return config.Strategy.Create(new StrategyContext
        {
            Model = model, Stream = stream, Loss = new TaskLoss(t.Loss, stream), NewModel = newModel,
            Seed = config.Seed, BatchSize = t.BatchSize, LearningRate = t.LrValue, EpochsPerTask = t.EpochsPerTask,
        });
    }

    // train, ntk, eval, checkpoint: the schedule they give over what the strategy trains each task on has at least one step.
    private static Schedule CheckSchedule(ExperimentConfig config, TaskStream stream, IStrategy strategy)
    {
        var schedule = new Schedule(stream.Tasks.Select(t => strategy.TrainingSet(t.Index).Count).ToArray(), config);
        if (schedule.TotalSteps < 1) throw new InputException("train: the run has no training steps");
        return schedule;
    }
}
