using NtkDynamics.Tests.Experiments;

namespace NtkDynamics.Tests.Cli;

[Collection("Console")]
public class RunAndSweepCommandTests
{
    [Fact]
    public void RunWritesARunFolderAndPrintsTheSummary()
    {
        var dir = Directory.CreateTempSubdirectory("ntk-cli-").FullName;
        File.WriteAllText(Path.Combine(dir, "e.yaml"), RunnerTests.TinyYaml("cli", dir));
        var (code, output, _) = CliRunner.Run("run", Path.Combine(dir, "e.yaml"), "--quiet", "--max-steps", "6");
        Assert.Equal(0, code);
        Assert.Contains("run folder:", output);
        Assert.Contains("(finished)", output);
        Assert.Contains("accuracy matrix", output);
        // The same name again without --resume is bad input: exit 2, one line, the folder untouched.
        var (again, _, error) = CliRunner.Run("run", Path.Combine(dir, "e.yaml"), "--quiet");
        Assert.Equal(2, again);
        Assert.Contains("--resume", error);
        Assert.Single(error.Trim().Split('\n'));
        // A config with an unknown key: exit 2 naming it.
        File.WriteAllText(Path.Combine(dir, "bad.yaml"), "model: {widht: 4}");
        var (bad, _, badError) = CliRunner.Run("run", Path.Combine(dir, "bad.yaml"));
        Assert.Equal(2, bad);
        Assert.Contains("unknown key 'model.widht'", badError);
        Directory.Delete(dir, true);
    }

    /// <summary>A killed ResNet-18 run whose config.yaml was then edited (nf 4 to 6): the resume names the first tensor that
    /// does not fit, in one line, exit 2, and leaves the run as it was.</summary>
    [Fact]
    public void ResumingFromACheckpointThatDoesNotFitTheModelNamesTheTensor()
    {
        var dir = Directory.CreateTempSubdirectory("ntk-cli-").FullName;
        string yaml = RunnerTests.TinyYaml("r", dir).Replace("kind: cnn, width: 8", "kind: resnet18, width: 4").Replace("epochs_per_task: 2", "epochs_per_task: 6");
        File.WriteAllText(Path.Combine(dir, "e.yaml"), yaml);
        var run = new NtkDynamics.Experiments.RunFolder(Path.Combine(dir, "r"));
        Assert.True(NtkProcess.KillWhen(() => File.Exists(run.File("checkpoints/latest")), "run", Path.Combine(dir, "e.yaml"), "--quiet"), "the run ended before its kill");
        File.WriteAllText(run.Config, File.ReadAllText(run.Config).Replace("width: 4", "width: 6"));
        string metrics = File.ReadAllText(run.Metrics);
        var (code, _, error) = CliRunner.Run("run", "--resume", run.Path, "--quiet");
        Assert.Equal(2, code);
        Assert.Contains("model.safetensors: 'conv1.weight' has shape [4, 1, 3, 3], ResNet-18(nf 6, input [1, 28, 28], 10 classes) expects [6, 1, 3, 3]", error);
        Assert.Single(error.Trim().Split('\n'));
        Assert.Equal(metrics, File.ReadAllText(run.Metrics));
        Directory.Delete(dir, true);
    }

    [Fact]
    public void SlurmDryRunWritesTheArrayScriptForUnfinishedCells()
    {
        var dir = Directory.CreateTempSubdirectory("ntk-cli-").FullName;
        File.WriteAllText(Path.Combine(dir, "base.yaml"), RunnerTests.TinyYaml("b", dir));
        string sweep = Path.Combine(dir, "s.yaml");
        File.WriteAllText(sweep, $"name: s\noutput: {dir}\nbase: base.yaml\ngrid: {{model.width: [4, 8, 16]}}\nslurm: {{cpus: 2, memory: 2G, time: '1:00:00', partition: short}}\n");
        var (code, output, error) = CliRunner.Run("sweep", sweep, "--slurm", "--dry-run");
        Assert.True(code == 0, error);
        string script = File.ReadAllText(Path.Combine(dir, "s", "slurm", "submit.sbatch"));
        Assert.Contains("#SBATCH --array=0-2", script);
        Assert.Contains("#SBATCH --cpus-per-task=2", script);
        Assert.Contains("#SBATCH --partition=short", script);
        Assert.Contains("sweep run-cell", script);
        Assert.Contains("$SLURM_ARRAY_TASK_ID", script);
        Assert.Contains("3 cells", output);

        var (status, statusOut, _) = CliRunner.Run("sweep", "status", sweep);
        Assert.Equal(0, status);
        Assert.Contains("3 cells: 3 pending", statusOut);

        var (bad, _, badError) = CliRunner.Run("sweep", sweep, "--slurm", "--dry-run", "--cells", "7");
        Assert.Equal(2, bad);
        Assert.Contains("7", badError);
        Directory.Delete(dir, true);
    }
}
