using NtkDynamics.Data;
using NtkDynamics.Experiments;
using NtkDynamics.Tests.Data;
using NtkDynamics.Tests.Experiments;

namespace NtkDynamics.Tests.Cli;

/// <summary>
/// Every bad input to `ntk run` and `ntk sweep` is found before anything is written: exit code 2, one line that starts
/// with the config file and names the key (or the data file), and no run or sweep folder left behind.
/// </summary>
[Collection("Console")]
public class InputCheckTests
{
    /// <summary>A tiny valid experiment with the given replacements of its lines ("stream: {...}") and extra lines.</summary>
    private static string Config(string output, string extra = "", params (string From, string To)[] replace)
    {
        string yaml = RunnerTests.TinyYaml("check", output, extra);
        foreach (var (from, to) in replace)
        {
            Assert.Contains(from, yaml);
            yaml = yaml.Replace(from, to);
        }
        return yaml;
    }

    private const string Stream = "stream: {kind: class-split, tasks: 2, classes_per_task: 5, probe_size: 10}";
    private const string DataLine = "data: {dataset: embedded, train_per_class: 16, test_per_class: 8}";
    private const string ModelLine = "model: {kind: cnn, width: 8}";

    public static IEnumerable<object[]> BadConfigs() => new (string Name, Func<string, string> Yaml, string Expected)[]
    {
        ("empty file", _ => "", "the file is empty"),
        ("only comments", _ => "# nothing here\n", "the file is empty"),
        ("more classes than the data has", o => Config(o, "", (Stream, "stream: {kind: class-split, tasks: 3, classes_per_task: 5}")),
            "stream.tasks: 3 tasks x 5 classes need 15 classes but the class order has 10"),
        ("unknown data set", o => Config(o, "", (DataLine, "data: {dataset: no-such-set}")), "data.dataset: no-such-set is neither a known data set"),
        ("overlap shift out of range", o => Config(o, "", (Stream, "stream: {kind: class-overlap, classes_per_task: 5, shifts: [0, 6]}")),
            "stream.shifts[1]: shift 6 is outside 0..5"),
        ("class order names a class the data lacks", o => Config(o, "", (Stream, "stream: {kind: class-split, tasks: 1, classes_per_task: 2, class_order: [3, 12]}")),
            "stream.class_order[1]: class 12 is out of range (the data set has classes 0..9)"),
        ("custom task names a class the data lacks", o => Config(o, "", (Stream, "stream: {tasks_list: [{classes: [0, 1]}, {classes: [2, 10]}]}")),
            "stream.tasks_list[1].classes[1]: class 10 is out of range"),
        ("mixture sets overlap", o => Config(o, "", (Stream, "stream: {kind: frequency-mixture, train_size: 20, test_size: 10, set0: [0, 1], set1: [1, 2]}")),
            "stream.set1: class 1 is also in stream.set0"),
        ("mixture set class out of range", o => Config(o, "", (Stream, "stream: {kind: frequency-mixture, train_size: 20, test_size: 10, set0: [0, 1], set1: [11]}")),
            "stream.set1[0]: class 11 is out of range"),
        ("mixture without sizes", o => Config(o, "", (Stream, "stream: {kind: frequency-mixture, test_size: 10}")),
            "stream.train_size: a frequency mixture needs the number of train images per task"),
        ("mixture larger than the data", o => Config(o, "", (Stream, "stream: {kind: frequency-mixture, alphas: [0, 0.5], train_size: 500, test_size: 10}")),
            "stream.alphas[0]: task alpha=0.00 needs 100 train images of class 0 but the train split has 16"),
        ("subset larger than a class", o => Config(o, "", (DataLine, "data: {dataset: embedded, train_per_class: 301}")),
            "data.train_per_class: 301 images asked for but class 0 (T-shirt/top) has 300"),
        ("probe larger than the test split", o => Config(o, "", (Stream, "stream: {kind: class-split, tasks: 2, classes_per_task: 5, probe_size: 100}")),
            "stream.probe_size: the probe needs 20 test images of class 0 but there are 8"),
        ("a key the stream kind does not use", o => Config(o, "", (Stream, "stream: {kind: class-split, tasks: 2, shifts: [1, 2]}")),
            "stream.shifts: not used by a class-split stream"),
        ("sigma_w without the ntk parametrisation", o => Config(o, "", (ModelLine, "model: {kind: cnn, width: 8, sigma_w: 2}")),
            "model.sigma_w: only for parametrisation ntk"),
        ("hidden sizes for a CNN", o => Config(o, "", (ModelLine, "model: {kind: cnn, width: 8, hidden: [16]}")), "model.hidden: only for kind mlp"),
        ("images too small for the CNN", o => Config(o, "", (DataLine, "data: {dataset: embedded, train_per_class: 16, test_per_class: 8, image_size: 7}")),
            "data.image_size: must be >= 8, got 7"),
        ("eval every steps and every epochs", o => Config(o, "eval: {every_steps: 3, every_epochs: 2}"), "eval.every_epochs: give every_epochs or every_steps, not both"),
        ("a graph with an unknown layer", o => Config(o, "", (ModelLine, "model: {graph: {nodes: [{name: f, kind: flatten}, {name: fc, kind: linaer, out: 10}]}}")),
            "model.graph: line 4: node 'fc' (linaer): kind: 'linaer' is not a layer kind"),
        ("a graph with too few logits", o => Config(o, "", (ModelLine, "model: {graph: {nodes: [{name: f, kind: flatten}, {name: fc, kind: linear, out: 4}]}}")),
            "model.graph: the output 'fc' gives 4 logits, but the stream has 10 classes"),
        ("a graph file that is not there", o => Config(o, "", (ModelLine, "model: {graph: no-such-net.yaml}")), "model.graph: no-such-net.yaml: no such graph file"),
    }.Select(c => new object[] { c.Name, c.Yaml, c.Expected });

    private static string Folder(TempFolder dir, string name) => Directory.CreateDirectory(Path.Combine(dir.Path, name)).FullName;

    /// <summary>Exit code 2 and one line on stderr that starts with `ntk: <paramref name="configFile"/>` and holds <paramref name="expected"/>.</summary>
    internal static void AssertBadInput((int Code, string Out, string Error) result, string configFile, string expected)
    {
        Assert.True(result.Code == 2, $"exit {result.Code}: {result.Error}");
        string line = result.Error.TrimEnd('\n');
        Assert.DoesNotContain('\n', line);
        Assert.StartsWith($"ntk: {configFile}", line);
        Assert.Contains(expected, line);
    }

    [Theory]
    [MemberData(nameof(BadConfigs))]
    public void RunRejectsBeforeWritingAnything(string name, Func<string, string> yaml, string expected)
    {
        using var dir = new TempFolder();
        string output = Folder(dir, "runs"), config = dir.File("bad.yaml");
        File.WriteAllText(config, yaml(output));
        Assert.Throws<InputException>(() => Runner.Start(ExperimentConfig.Load(config)));
        AssertBadInput(CliRunner.Run("run", config, "--quiet"), config, expected);
        Assert.Empty(Directory.EnumerateFileSystemEntries(output));
        Assert.NotNull(name);
    }

    [Theory]
    [MemberData(nameof(BadConfigs))]
    public void SweepRejectsBeforeWritingAnything(string name, Func<string, string> yaml, string expected)
    {
        using var dir = new TempFolder();
        string output = Folder(dir, "runs");
        File.WriteAllText(dir.File("base.yaml"), yaml(output));
        string sweep = dir.File("s.yaml");
        File.WriteAllText(sweep, $"name: s\noutput: {output}\nbase: base.yaml\ngrid: {{seed: [1, 2]}}\n");
        if (name.StartsWith("empty") || name.StartsWith("only comments"))
        {
            AssertBadInput(CliRunner.Run("sweep", sweep), dir.File("base.yaml"), expected);
            File.WriteAllText(sweep, yaml(output));
            AssertBadInput(CliRunner.Run("sweep", sweep), sweep, expected);
        }
        else
        {
            AssertBadInput(CliRunner.Run("sweep", sweep), $"{sweep} (cell 0: seed=1)", expected);
            AssertBadInput(CliRunner.Run("sweep", sweep, "--slurm", "--dry-run"), $"{sweep} (cell 0: seed=1)", expected);
        }
        Assert.Empty(Directory.EnumerateFileSystemEntries(output));
    }

    [Fact]
    public void OnlyTheLastCellOfASweepBeingBadStillStartsNone()
    {
        using var dir = new TempFolder();
        string output = Folder(dir, "runs");
        File.WriteAllText(dir.File("base.yaml"), Config(output));
        string sweep = dir.File("s.yaml");
        File.WriteAllText(sweep, $"name: s\noutput: {output}\nbase: base.yaml\ngrid: {{stream.classes_per_task: [2, 5, 6]}}\n");
        AssertBadInput(CliRunner.Run("sweep", sweep), $"{sweep} (cell 2: classes_per_task=6)", "stream.tasks: 2 tasks x 6 classes need 12 classes");
        Assert.Empty(Directory.EnumerateFileSystemEntries(output));
    }

    [Fact]
    public void LabelsOutsideTheClassRangeOfAnIdxSetAreAnErrorNamingTheFile()
    {
        using var dir = new TempFolder();
        byte[] train = Enumerable.Range(0, 20).Select(i => (byte)(i % 10)).ToArray();
        train[13] = 99;
        File.WriteAllBytes(dir.File("idx/train-images-idx3-ubyte"), IdxTests.ImagesFile(20, 8, 8, (i, p) => (byte)(i + p)));
        File.WriteAllBytes(dir.File("idx/train-labels-idx1-ubyte"), IdxTests.LabelsFile(train));
        File.WriteAllBytes(dir.File("idx/t10k-images-idx3-ubyte"), IdxTests.ImagesFile(10, 8, 8, (i, p) => (byte)(i * p)));
        File.WriteAllBytes(dir.File("idx/t10k-labels-idx1-ubyte"), IdxTests.LabelsFile([.. Enumerable.Range(0, 10).Select(i => (byte)i)]));
        string output = Folder(dir, "runs"), config = dir.File("e.yaml");
        File.WriteAllText(config, Config(output, "", (DataLine, $"data: {{dataset: {dir.File("idx")}}}"), (Stream, "stream: {tasks: 1, classes_per_task: 2, probe_size: 2}")));
        AssertBadInput(CliRunner.Run("run", config, "--quiet"), config,
            $"{dir.File("idx/train-labels-idx1-ubyte")}: label 99 at entry 13 (byte offset 21) is out of range: labels must be 0..K-1 with every class present, but classes 10..98 have no images");
        Assert.Empty(Directory.EnumerateFileSystemEntries(output));
        // A test label past the train labels' classes names the test file.
        train[13] = 3;
        File.WriteAllBytes(dir.File("idx/train-labels-idx1-ubyte"), IdxTests.LabelsFile(train));
        File.WriteAllBytes(dir.File("idx/t10k-labels-idx1-ubyte"), IdxTests.LabelsFile([.. Enumerable.Range(0, 10).Select(i => (byte)(i == 4 ? 12 : i))]));
        AssertBadInput(CliRunner.Run("run", config, "--quiet"), config, $"{dir.File("idx/t10k-labels-idx1-ubyte")}: label 12 at entry 4");
        Assert.Empty(Directory.EnumerateFileSystemEntries(output));
    }

    [Fact]
    public void NonSquareImagesForTheCnnNameImageSize()
    {
        using var dir = new TempFolder();
        byte[] labels = [.. Enumerable.Range(0, 20).Select(i => (byte)(i % 2))];
        foreach (string split in new[] { "train", "t10k" })
        {
            File.WriteAllBytes(dir.File($"idx/{split}-images-idx3-ubyte"), IdxTests.ImagesFile(20, 12, 8, (i, p) => (byte)(i + p)));
            File.WriteAllBytes(dir.File($"idx/{split}-labels-idx1-ubyte"), IdxTests.LabelsFile(labels));
        }
        string output = Folder(dir, "runs"), config = dir.File("e.yaml");
        File.WriteAllText(config, Config(output, "", (DataLine, $"data: {{dataset: {dir.File("idx")}}}"), (Stream, "stream: {tasks: 1, classes_per_task: 2, probe_size: 2}")));
        AssertBadInput(CliRunner.Run("run", config, "--quiet"), config, "data.image_size: the CNN needs square images");
        Assert.Empty(Directory.EnumerateFileSystemEntries(output));
    }

    [Fact]
    public void AnOutputThatIsAFileIsAnError()
    {
        using var dir = new TempFolder();
        File.WriteAllText(dir.File("out"), "a file");
        string config = dir.File("e.yaml");
        File.WriteAllText(config, Config(dir.File("out")));
        AssertBadInput(CliRunner.Run("run", config, "--quiet"), $"{dir.File("out")}: is a file", "check output and name");
        Assert.Equal("a file", File.ReadAllText(dir.File("out")));
    }

    [Fact]
    public void ARunThatFailedBeforeItsFirstStepDoesNotBlockARerunButOneThatRanStepsDoes()
    {
        using var dir = new TempFolder();
        string config = dir.File("e.yaml");
        File.WriteAllText(config, Config(dir.Path).Replace("epochs_per_task: 2", "epochs_per_task: 1"));
        var run = new RunFolder(Folder(dir, "check"));
        // As an older version left it: the config written, then a failure while building the stream.
        File.WriteAllText(run.Config, "name: check\n");
        run.WriteStatus("failed", 0, 0, "stream.tasks: too many classes");
        var (code, _, error) = CliRunner.Run("run", config, "--quiet");
        Assert.True(code == 0, error);
        Assert.Equal("finished", run.ReadState());

        // A run that trained steps before failing keeps its folder: the error says how to go on.
        run.WriteStatus("failed", 7, 10, "killed");
        var again = CliRunner.Run("run", config, "--quiet");
        Assert.Equal(2, again.Code);
        Assert.Contains("a run folder is already there (state failed); resume it with --resume, or pass --force", again.Error);
        Assert.True(File.Exists(run.Metrics));
    }

    [Fact]
    public void AnInputErrorAfterTheFolderWasCreatedRemovesItAgain()
    {
        using var dir = new TempFolder();
        var config = ExperimentConfig.Parse(Config(dir.Path), "e.yaml");
        // The observer fails the way a late input error would: while the run writes its first files, before any step.
        var e = Assert.Throws<InputException>(() => Runner.Start(config, observe: ev =>
        {
            if (ev.Kind == "start") throw new InputException("late: bad input found after the folder existed");
        }));
        Assert.Contains("late:", e.Message);
        Assert.False(Directory.Exists(Path.Combine(dir.Path, "check")));
    }

    [Fact]
    public void ATorchvisionStyleRootIsACifarDataSet()
    {
        using var dir = new TempFolder();
        byte[] Records(int n, int labelBytes) => [.. Enumerable.Range(0, n).SelectMany(i => Enumerable.Repeat((byte)(i % 10), labelBytes).Concat(new byte[3072]))];
        for (int b = 1; b <= 5; b++) File.WriteAllBytes(dir.File($"root10/cifar-10-batches-bin/data_batch_{b}.bin"), Records(10, 1));
        File.WriteAllBytes(dir.File("root10/cifar-10-batches-bin/test_batch.bin"), Records(10, 1));
        File.WriteAllBytes(dir.File("root100/cifar-100-binary/train.bin"), Records(10, 2));
        File.WriteAllBytes(dir.File("root100/cifar-100-binary/test.bin"), Records(10, 2));
        var cifar10 = DataSets.Find(Folder(dir, "root10"));
        Assert.Equal("CIFAR-10 binary", cifar10.Format);
        Assert.Equal(50, cifar10.Load().Train.Count);
        var cifar100 = DataSets.Find(Folder(dir, "root100"));
        Assert.Equal("CIFAR-100 binary (fine labels)", cifar100.Format);
        Assert.Equal(100, cifar100.Load().NumClasses);
        Directory.Move(Folder(dir, "root100/cifar-100-binary"), Path.Combine(dir.Path, "root10/cifar-100-binary"));
        Assert.Contains("holds both cifar-10-batches-bin and cifar-100-binary", Assert.Throws<InputException>(() => DataSets.Find(Folder(dir, "root10"))).Message);
        // CIFAR-100's other label byte is checked too: a fine label of 150 is corrupt even when reading coarse labels.
        File.WriteAllBytes(dir.File("c100/train.bin"), [.. Records(3, 2).Select((b, i) => i == 3074 + 1 ? (byte)150 : b)]);
        File.WriteAllBytes(dir.File("c100/test.bin"), Records(3, 2));
        var e = Assert.Throws<InputException>(() => CifarBinary.LoadCifar100(Folder(dir, "c100"), coarse: true));
        Assert.Contains("train.bin: label 150 at byte offset 3075 (record 1) is out of range for 100 classes", e.Message);
    }

    [Fact]
    public void ResolvedConfigsOfEveryStreamKindReadBack()
    {
        foreach (string stream in new[]
        {
            "stream: {kind: class-overlap, classes_per_task: 5, shifts: [0, 2]}",
            "stream: {kind: frequency-mixture, train_size: 20, test_size: 10, alphas: [0.1, 0.5]}",
            "stream: {tasks_list: [{classes: [0, 1]}, {classes: [2, 3], weights: [1, 3], train_size: 8, test_size: 4}]}",
            "stream: {kind: class-split, tasks: 5, classes_per_task: 2, shuffle: true}",
        })
        {
            var c = ExperimentConfig.Parse(Config("runs", "", (Stream, stream), (ModelLine, "model: {kind: mlp, hidden: [], parametrisation: ntk, sigma_w: 1.5}")), "e.yaml");
            Assert.Equal(c.ToYaml(), ExperimentConfig.Parse(c.ToYaml()).ToYaml());
        }
    }
}
