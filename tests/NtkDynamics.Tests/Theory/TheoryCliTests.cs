using NtkDynamics.Cli;
using NtkDynamics.Tests.Data;

namespace NtkDynamics.Tests.Theory;

public class TheoryCliTests
{
    [Fact]
    public void TheCliWritesFiguresAndTablesForEverySubcommand()
    {
        using var dir = new TempFolder();
        string[][] runs =
        [
            ["convergence", "--depths", "1", "--widths", "16,32", "--seeds", "1", "--points", "4", "--input-dim", "3"],
            ["dynamics", "--depth", "1", "--widths", "16,32", "--seeds", "1", "--steps", "4"],
            ["lazy-rich", "--mlp-widths", "8,16", "--cnn-widths", "2,4", "--steps", "3", "--train", "4", "--test", "2", "--image-size", "8"],
            ["spectral-bias", "--points", "16", "--frequencies", "1,2", "--width", "64", "--steps", "10"],
        ];
        foreach (var args in runs)
        {
            Assert.Equal(0, Commands.Run(["theory", .. args, "--out", dir.Path]));
            foreach (var ext in new[] { ".svg", ".md", ".csv" }) Assert.True(File.Exists(Path.Combine(dir.Path, args[0] + ext)), $"{args[0]}{ext} missing");
        }
        Assert.StartsWith("depth,width,mean_relative_error", File.ReadAllText(Path.Combine(dir.Path, "convergence.csv")));
        Assert.Equal(2, Commands.Run(["theory", "convergence", "--widths", "64", "--out", dir.Path]));
        Assert.Equal(2, Commands.Run(["theory", "lazy-rich", "--classes", "3,3", "--out", dir.Path]));
    }
}
