using NtkDynamics.Continual;
using NtkDynamics.Data;
using NtkDynamics.Nn;

namespace NtkDynamics.Experiments;

/// <summary>The objects a config describes: the task stream (with its data) and the freshly initialised model.</summary>
public sealed class Experiment
{
    public ExperimentConfig Config { get; }
    public TaskStream Stream { get; }
    public Model Model { get; }

    private Experiment(ExperimentConfig config, TaskStream stream, Model model) { Config = config; Stream = stream; Model = model; }

    public static Experiment Build(ExperimentConfig config, Action<string>? log = null)
    {
        var d = config.Data;
        var data = DataSets.Load(d.Dataset, new LoadOptions(d.ImageSize, d.Cache, Log: log));
        if (d.TrainPerClass is not null || d.TestPerClass is not null)
            data = data.Subset(d.TrainPerClass, d.TestPerClass, config.Seed);
        var s = config.Stream;
        var options = new StreamOptions(s.Head == "task-incremental" ? HeadKind.TaskIncremental : HeadKind.ClassIncremental, s.ProbeSize,
            s.ProbeSplit == "train" ? Split.Train : Split.Test);
        var stream = s.Kind switch
        {
            "class-split" => Streams.ClassSplit(data, s.Tasks, s.ClassesPerTask, s.ClassOrder, s.Shuffle, config.Seed, options),
            "class-overlap" => Streams.ClassOverlap(data, s.ClassesPerTask, s.Shifts, s.ClassOrder, config.Seed, options),
            "frequency-mixture" => Streams.FrequencyMixture(data, s.Alphas,
                s.TrainSize ?? throw new InputException("stream.train_size: a frequency mixture needs the number of train images per task"),
                s.TestSize ?? throw new InputException("stream.test_size: a frequency mixture needs the number of test images per task"),
                s.Set0, s.Set1, config.Seed, options),
            _ => Streams.Custom(data, s.Custom, config.Seed, options),
        };
        var m = config.Model;
        if (m.Kind == "cnn" && data.Height != data.Width)
            throw new InputException($"data: the CNN needs square images, {d.Dataset} has {data.Height}x{data.Width} (set data.image_size)");
        var spec = m.Kind == "cnn"
            ? ModelSpec.Cnn(m.Width, data.Channels, data.Height, stream.NumClasses)
            : ModelSpec.Mlp([data.Channels, data.Height, data.Width], m.Hidden, stream.NumClasses);
        Parametrisation par = m.Parametrisation == "ntk" ? new NtkParametrisation(m.SigmaW, m.SigmaB) : Parametrisation.Parse(m.Parametrisation);
        return new Experiment(config, stream, spec.Build(par, config.Seed));
    }
}
