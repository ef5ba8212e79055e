using NtkDynamics.Data;
using NtkDynamics.Experiments;
using Xunit.Abstractions;

namespace NtkDynamics.Tests.Experiments;

/// <summary>Every config of configs/paper parses (all its cells); every `cpu` one runs its first cell for a few steps on real data.</summary>
public class PaperConfigTests(ITestOutputHelper output)
{
    private static string ConfigFolder()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (Directory.Exists(Path.Combine(d.FullName, "configs", "paper"))) return Path.Combine(d.FullName, "configs", "paper");
        throw new InvalidOperationException("configs/paper not found above " + AppContext.BaseDirectory);
    }

    public static IEnumerable<object[]> Files() =>
        Directory.GetFiles(ConfigFolder(), "*.yaml").Order().Select(f => new object[] { Path.GetFileName(f) });

    [Theory]
    [MemberData(nameof(Files))]
    public void ParsesAndEveryCellIsAValidExperiment(string file)
    {
        var sweep = Sweep.Load(Path.Combine(ConfigFolder(), file));
        Assert.NotEmpty(sweep.Cells);
        Assert.Equal(sweep.Cells.Count, sweep.Cells.Select(c => c.Name).Distinct().Count());
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void CpuConfigRunsAFewSteps(string file)
    {
        if (!file.Contains(".cpu.")) return;
        var sweep = Sweep.Load(Path.Combine(ConfigFolder(), file));
        var config = sweep.CellConfig(0);
        if (!DataSets.Find(config.Data.Dataset).Found)
        {
            output.WriteLine($"skipped: data set '{config.Data.Dataset}' is not on this machine (see `ntk data list`)");
            return;
        }
        var dir = Directory.CreateTempSubdirectory("ntk-paper-").FullName;
        try
        {
            var run = Runner.Start(config with { Output = dir, Train = config.Train with { MaxSteps = 3 } });
            Assert.Equal("finished", run.ReadState());
            Assert.Equal(2, File.ReadAllLines(run.Metrics).Length); // step 0 and step 3
        }
        finally { Directory.Delete(dir, true); }
    }
}
