using NtkDynamics.Experiments;
using NtkDynamics.Nn;
using NtkDynamics.Tests.Data;

namespace NtkDynamics.Tests.Experiments;

/// <summary>model: {kind: resnet18, width: nf} in experiment configs and sweeps.</summary>
public class ResNetConfigTests
{
    private static string Tiny(string output, string model) => RunnerTests.TinyYaml("r", output).Replace("model: {kind: cnn, width: 8}", model);

    [Fact]
    public void AResNet18ConfigBuildsTheCifarResNetAndReadsBack()
    {
        using var dir = new TempFolder();
        var c = ExperimentConfig.Parse(Tiny(dir.Path, "model: {kind: resnet18}"), "e.yaml");
        Assert.Equal(("resnet18", 20), (c.Model.Kind, c.Model.Width)); // GEM's reduced nf by default
        var again = ExperimentConfig.Parse(c.ToYaml(), "config.yaml");
        Assert.Equal(c.ToYaml(), again.ToYaml());
        var model = Experiment.Build(ExperimentConfig.Parse(Tiny(dir.Path, "model: {kind: resnet18, width: 4}"), "e.yaml")).Model;
        Assert.Equal("ResNet-18(nf 4, input [1, 28, 28], 10 classes)", model.Description);
        Assert.Equal([4, 1, 3, 3], model.StateDict()["conv1.weight"].Shape);
        Assert.Equal([32], model.StateDict()["layer4.1.bn2.running_var"].Shape);
        Assert.Equal([10, 32], model.StateDict()["classifier.weight"].Shape);
        InputErrors.Assert(() => ExperimentConfig.Parse(Tiny(dir.Path, "model: {kind: resnet18, hidden: [8]}"), "e.yaml"),
            "e.yaml", "model.hidden: only for kind mlp (this model is resnet18)");
    }

    [Fact]
    public void ASweepOverWidthsBuildsEachResNet()
    {
        using var dir = new TempFolder();
        File.WriteAllText(dir.File("base.yaml"), Tiny("ignored", "model: {kind: resnet18}"));
        File.WriteAllText(dir.File("s.yaml"), $"name: s\noutput: {dir.Path}\nbase: base.yaml\ngrid:\n  model.width: [4, 6]\n  train.lr: ['0.1/width']\n");
        var sweep = Sweep.Load(dir.File("s.yaml"));
        Assert.Equal(["width=4,lr=0.1_width", "width=6,lr=0.1_width"], sweep.Cells.Select(c => c.Name));
        var cell = sweep.CellConfig(1);
        Assert.Equal(0.1 / 6, cell.Train.LrValue);
        Assert.Equal("ResNet-18(nf 6, input [1, 28, 28], 10 classes)", Experiment.Build(cell).Model.Description);
    }
}
