using System.Diagnostics;
using NtkDynamics.Experiments.Slurm;

namespace NtkDynamics.Tests.Slurm;

public sealed class SbatchScriptTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ntk-sbatch-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static SbatchScript Typical(SlurmResources? resources = null) => new(
        SweepFile: "sweeps/width.yaml",
        SweepFolder: "runs/width",
        WorkingDirectory: "/home/ana/project",
        NtkCommand: ["/opt/ntk/ntk"],
        Cells: [0, 1, 2, 3, 4, 5, 6, 7],
        Resources: resources ?? new SlurmResources(),
        JobName: "ntk width sweep");

    [Fact]
    public void RendersTheWholeScript()
    {
        var script = Typical(new SlurmResources
        {
            Cpus = 4, Memory = "8G", Time = "1-00:00:00", Partition = "gpu", MaxConcurrent = 3,
            Extra = ["#SBATCH --account=lab", "--qos=high", "module load dotnet"],
        });
        Assert.Equal("""
            #!/bin/bash
            # Written by ntk: one array task per sweep cell. Resubmitting a cell is safe: it resumes from its checkpoint.
            #SBATCH --job-name=ntk_width_sweep
            #SBATCH --array=0-7%3
            #SBATCH --cpus-per-task=4
            #SBATCH --mem=8G
            #SBATCH --time=1-00:00:00
            #SBATCH --partition=gpu
            #SBATCH --output=/home/ana/project/runs/width/slurm/%A_%a.out
            #SBATCH --account=lab
            #SBATCH --qos=high
            set -e
            cd /home/ana/project
            module load dotnet
            exec /opt/ntk/ntk sweep run-cell /home/ana/project/sweeps/width.yaml --cell "$SLURM_ARRAY_TASK_ID"

            """.ReplaceLineEndings("\n"), script.Render());
    }

    [Fact]
    public void OmitsWhatIsNotAsked()
    {
        var text = Typical() with { Cells = [1, 5] };
        var lines = text.Render().Split('\n');
        Assert.Contains("#SBATCH --array=1,5", lines);
        Assert.Contains("#SBATCH --cpus-per-task=1", lines);
        Assert.DoesNotContain(lines, l => l.StartsWith("#SBATCH --mem") || l.StartsWith("#SBATCH --time") || l.StartsWith("#SBATCH --partition"));
    }

    [Fact]
    public void RejectsBadInputWithAKeyOrPath()
    {
        Assert.StartsWith("slurm.time:", Assert.Throws<InputException>(() => Typical(new SlurmResources { Time = "1h" }).Render()).Message);
        Assert.Contains("space", Assert.Throws<InputException>(() => (Typical() with { SweepFolder = "my runs" }).Render()).Message);
        Assert.Contains("%", Assert.Throws<InputException>(() => (Typical() with { SweepFolder = "runs%1" }).Render()).Message);
        Assert.Contains("absolute", Assert.Throws<InputException>(() => (Typical() with { WorkingDirectory = "project" }).Render()).Message);
        Assert.Contains("no cells", Assert.Throws<InputException>(() => (Typical() with { Cells = [] }).Render()).Message);
    }

    [Fact]
    public void WriteCreatesTheLogFolderAndAnExecutableScript()
    {
        var script = Typical() with { WorkingDirectory = _dir };
        var path = Path.Combine(_dir, "submit.sh");
        script.Write(path);
        Assert.True(Directory.Exists(Path.Combine(_dir, "runs/width/slurm")));
        Assert.Equal(script.Render(), File.ReadAllText(path));
        Assert.Equal([Path.GetFileName(path)], Directory.GetFiles(_dir).Select(Path.GetFileName));
        if (!OperatingSystem.IsWindows())
            Assert.True(File.GetUnixFileMode(path).HasFlag(UnixFileMode.UserExecute));
    }

    // Runs the script body with bash (the #SBATCH lines are comments) and a stand-in ntk that writes its arguments
    // and working directory: checks the quoting of odd words and the cell number reach ntk intact.
    [Fact]
    public void TheScriptHandsNtkTheRightArguments()
    {
        if (OperatingSystem.IsWindows()) return;
        var work = Path.Combine(_dir, "it's here");
        Directory.CreateDirectory(work);
        var script = new SbatchScript(
            SweepFile: "my sweep.yaml",
            SweepFolder: Path.Combine(_dir, "runs"),
            WorkingDirectory: work,
            NtkCommand: ["bash", "-c", "{ pwd; printf '%s\\n' \"$0\" \"$@\"; } > \"$OUT\"", "ntk $HOME"],
            Cells: [2],
            Resources: new SlurmResources { Extra = ["export GREETING='hi there'"] },
            JobName: "t");
        var path = Path.Combine(_dir, "job.sh");
        script.Write(path);
        var outFile = Path.Combine(_dir, "args.txt");
        var info = new ProcessStartInfo("bash", [path]) { UseShellExecute = false };
        info.Environment["SLURM_ARRAY_TASK_ID"] = "2";
        info.Environment["OUT"] = outFile;
        using (var p = Process.Start(info)!) { p.WaitForExit(); Assert.Equal(0, p.ExitCode); }
        Assert.Equal(
            [work, "ntk $HOME", "sweep", "run-cell", Path.Combine(work, "my sweep.yaml"), "--cell", "2"],
            File.ReadAllLines(outFile));
    }
}
