using NtkDynamics.Experiments;
using NtkDynamics.Formats;
using NtkDynamics.Nn;
using NtkDynamics.Ntk;
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

    /// <summary>ntk.batchnorm: the run's kernels normalise BatchNorm by the running statistics (model.eval(), the default)
    /// or by the probe's own batch statistics, frozen; the kernel a run writes at step 0 is the one EmpiricalNtk gives the
    /// freshly built model with that option, and not the other one.</summary>
    [Theory]
    [InlineData("running")]
    [InlineData("probe")]
    public void TheRunsKernelNormalisesBatchNormAsNtkBatchnormSays(string batchnorm)
    {
        using var dir = new TempFolder();
        var yaml = Tiny(dir.Path, "model: {kind: resnet18, width: 4}").Replace("dense_every: 1}", $"dense_every: 1, batchnorm: {batchnorm}}}")
            .Replace("epochs_per_task: 2", "epochs_per_task: 1");
        var config = ExperimentConfig.Parse(yaml, "e.yaml");
        Assert.Equal(batchnorm, ExperimentConfig.Parse(config.ToYaml(), "config.yaml").Ntk.BatchNorm);
        var run = Runner.Start(config);
        var fresh = Experiment.Build(config);
        double[] Kernel(bool probeStatistics) =>
            EmpiricalNtk.Compute(fresh.Model, fresh.Stream.Probe.Images, new NtkOptions(NtkKind.Trace, ProbeBatchStatistics: probeStatistics)).Values;
        var written = Npy.Read(run.File("kernels/step_000000.npy")).ToDouble();
        Assert.Equal(Kernel(batchnorm == "probe"), written);
        var other = Kernel(batchnorm != "probe");
        Assert.True(written.Zip(other).Max(p => Math.Abs(p.First - p.Second)) > 1e-3 * written.Max(Math.Abs), "the two statistics give the same kernel");
        InputErrors.Assert(() => ExperimentConfig.Parse(yaml.Replace($"batchnorm: {batchnorm}", "batchnorm: batch"), "e.yaml"),
            "e.yaml", "ntk.batchnorm");
    }
}
