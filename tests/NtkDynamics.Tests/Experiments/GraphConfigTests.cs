using System.Globalization;
using NtkDynamics.Data;
using NtkDynamics.Experiments;
using NtkDynamics.Nn;
using NtkDynamics.Tests.Data;

namespace NtkDynamics.Tests.Experiments;

/// <summary>model: {graph: ...} in experiment configs: a file or inline, checked with the rest of the config, written
/// inline into a run's resolved config; runs evaluate in evaluation mode.</summary>
public class GraphConfigTests
{
    private const string Mlp = "nodes:\n  - {name: flat, kind: flatten}\n  - {name: fc1, kind: linear, out: 16}\n  - {name: act, kind: silu}\n  - {name: drop, kind: dropout, p: 0.9}\n  - {name: fc2, kind: linear, out: 10}\n";

    private static string Tiny(string output, string model) => RunnerTests.TinyYaml("g", output).Replace("model: {kind: cnn, width: 8}", model);

    [Fact]
    public void AGraphFileIsReadAndWrittenBackInline()
    {
        using var dir = new TempFolder();
        string net = dir.File("net.yaml");
        File.WriteAllText(net, Mlp);
        var c = ExperimentConfig.Parse(Tiny(dir.Path, $"model: {{graph: {net}, parametrisation: ntk}}"), "e.yaml");
        Assert.Equal("graph", c.Model.Kind);
        Assert.Equal(net, c.Model.Graph!.Source);
        Assert.Equal(5, c.Model.Graph.Nodes.Count);
        string yaml = c.ToYaml();
        Assert.DoesNotContain(net, yaml); // the graph itself, not the file (which may change before a resume)
        Assert.DoesNotContain("width", yaml);
        var again = ExperimentConfig.Parse(yaml, "config.yaml");
        Assert.Equal(yaml, again.ToYaml());
        Assert.Equal("model.graph", again.Model.Graph!.Source);
        var a = Experiment.Build(c).Model;
        var b = Experiment.Build(again).Model;
        Assert.Equal("ntk", a.Parametrisation.Name);
        Assert.Equal(a.StateDict()["fc1.weight"].Data, b.StateDict()["fc1.weight"].Data);
        Assert.Equal(["flat", "fc1", "act", "drop", "fc2"], a.Nodes.Skip(1).Select(n => n.Name));
    }

    public static TheoryData<string, string> BadModels() => new()
    {
        { "model: {kind: graph}", "e.yaml: model.graph: a graph model needs its graph" },
        { "model: {kind: cnn, graph: {nodes: [{name: f, kind: flatten}]}}", "e.yaml: model.graph: only for kind graph (this model is cnn)" },
        { "model: {graph: {nodes: [{name: f, kind: flatten}]}, width: 8}", "e.yaml: model.width: not used by a graph model" },
        { "model: {graph: no-such.yaml}", "e.yaml: model.graph: no-such.yaml: no such graph file" },
        { "model: {graph: [1, 2]}", "e.yaml: model.graph: expected a graph file (net.yaml) or the graph itself" },
        { "model: {graph: {nodes: [{kind: flatten}]}}", "e.yaml: model.graph: line 4: nodes[0]: a node needs a name" },
    };

    [Theory]
    [MemberData(nameof(BadModels))]
    public void BadGraphModelsAreErrorsNamingTheKey(string model, string expected)
    {
        using var dir = new TempFolder();
        InputErrors.Assert(() => ExperimentConfig.Parse(Tiny(dir.Path, model), "e.yaml"), "e.yaml", expected["e.yaml: ".Length..]);
    }

    [Fact]
    public void TheGraphIsCheckedAgainstTheDataAndTheStream()
    {
        using var dir = new TempFolder();
        Experiment Build(string model, string yaml = "") => Experiment.Build(ExperimentConfig.Parse(Tiny(dir.Path, model) + yaml, "e.yaml"));
        InputErrors.Assert(() => Build("model: {graph: {nodes: [{name: f, kind: flatten}, {name: fc, kind: linear, out: 5}]}}"),
            "e.yaml", "model.graph: the output 'fc' gives 5 logits, but the stream has 10 classes");
        InputErrors.Assert(() => Build("model: {graph: {input: [3, 28, 28], nodes: [{name: f, kind: flatten}, {name: fc, kind: linear, out: 10}]}}"),
            "e.yaml", "model.graph: input: the graph takes [3, 28, 28], but is given [1, 28, 28]");
        InputErrors.Assert(() => Build("model: {graph: {nodes: [{name: fc, kind: linear, out: 10}]}}"),
            "e.yaml", "model.graph: line 4: node 'fc' (linear): input: expected features [F] (add a flatten node before), got [1, 28, 28]");
        InputErrors.Assert(() => ExperimentConfig.Parse(Tiny(dir.Path, "model: {graph: {nodes: [{name: f, kind: flatten}]}}").Replace("lr: 0.01", "lr: 0.1/width"), "e.yaml"),
            "e.yaml", "train.lr: cannot read formula '0.1/width': unknown name 'width'");
        Assert.Equal(10, Build("model: {graph: {input: [1, 28, 28], nodes: [{name: f, kind: flatten}, {name: fc, kind: linear, out: 10}]}}").Model.Classes);
    }

    // With p = 0.9, a pass in training mode would give other logits than evaluation's; accuracy.csv's step-0 rows are those
    // of the initial model in evaluation mode (Dropout the identity).
    [Fact]
    public void RunsEvaluateInEvaluationMode()
    {
        using var dir = new TempFolder();
        string net = dir.File("net.yaml");
        File.WriteAllText(net, Mlp);
        var config = ExperimentConfig.Parse(Tiny(dir.Path, $"model: {{graph: {net}}}").Replace("epochs_per_task: 2", "epochs_per_task: 1"), "e.yaml");
        var experiment = Experiment.Build(config);
        var model = experiment.Model;
        model.Mode = Mode.Eval;
        var expected = experiment.Stream.Tasks.Select(task =>
        {
            var batch = experiment.Stream.Batch(Split.Test, task.TestIndices, task.Index);
            var predicted = Losses.ArgMax(model.Forward(batch.Images));
            return (double)predicted.Where((p, i) => p == batch.Labels[i]).Count() / task.TestIndices.Length;
        }).ToArray();
        var run = Runner.Start(config);
        var step0 = File.ReadAllLines(run.Accuracy).Skip(1).Select(l => l.Split(',')).Where(c => c[0] == "0").ToArray();
        Assert.Equal(2, step0.Length);
        foreach (var row in step0) Assert.Equal(expected[int.Parse(row[3])], double.Parse(row[4], CultureInfo.InvariantCulture));
        Assert.Equal("finished", run.ReadState());
    }
}
