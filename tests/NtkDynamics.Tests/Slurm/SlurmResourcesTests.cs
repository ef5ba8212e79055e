using NtkDynamics.Experiments.Slurm;

namespace NtkDynamics.Tests.Slurm;

public class SlurmResourcesTests
{
    [Theory]
    [InlineData("30", 30 * 60)]
    [InlineData("30:15", 30 * 60 + 15)]
    [InlineData("1:00:00", 3600)]
    [InlineData("2-0", 2 * 86400)]
    [InlineData("1-12", 86400 + 12 * 3600)]
    [InlineData("1-00:30", 86400 + 30 * 60)]
    [InlineData("1-02:03:04", 86400 + 2 * 3600 + 3 * 60 + 4)]
    [InlineData(" 90 ", 90 * 60)]
    public void ParsesEverySlurmTimeFormat(string text, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), SlurmResources.ParseTime(text));

    [Theory]
    [InlineData("UNLIMITED")]
    [InlineData("infinite")]
    [InlineData("0")]
    public void NoLimitIsNull(string text) => Assert.Null(SlurmResources.ParseTime(text));

    [Theory]
    [InlineData("1:2:3:4")]
    [InlineData("abc")]
    [InlineData("1-")]
    [InlineData("-1")]
    [InlineData("1h")]
    [InlineData("1-2-3")]
    [InlineData("")]
    public void BadTimeNamesTheKey(string text)
    {
        var e = Assert.Throws<InputException>(() => SlurmResources.ParseTime(text));
        Assert.StartsWith("slurm.time:", e.Message);
        Assert.Contains($"'{text}'", e.Message);
    }

    public static TheoryData<SlurmResources, string> BadResources => new()
    {
        { new SlurmResources { Cpus = 0 }, "slurm.cpus:" },
        { new SlurmResources { Memory = "4GB" }, "slurm.memory:" },
        { new SlurmResources { Memory = "-1" }, "slurm.memory:" },
        { new SlurmResources { Time = "soon" }, "slurm.time:" },
        { new SlurmResources { Partition = "a b" }, "slurm.partition:" },
        { new SlurmResources { Partition = "" }, "slurm.partition:" },
        { new SlurmResources { MaxConcurrent = 0 }, "slurm.max_concurrent:" },
        { new SlurmResources { Extra = ["--qos=high", "module load x\nrm -rf /"] }, "slurm.extra:" },
    };

    [Theory]
    [MemberData(nameof(BadResources))]
    public void ValidationNamesTheBadKey(SlurmResources resources, string key) =>
        Assert.StartsWith(key, Assert.Throws<InputException>(resources.Validate).Message);

    [Fact]
    public void AcceptsTypicalResources()
    {
        new SlurmResources().Validate();
        new SlurmResources { Cpus = 8, Memory = "16G", Time = "2-00:00:00", Partition = "gpu,cpu", MaxConcurrent = 4, Extra = ["--qos=high"] }.Validate();
        new SlurmResources { Memory = "4000" }.Validate();
        new SlurmResources { Memory = "512m" }.Validate();
    }
}

public class ArraySpecTests
{
    [Theory]
    [InlineData(new[] { 0, 1, 2, 3, 4, 5, 6, 7 }, null, "0-7")]
    [InlineData(new[] { 7, 6, 5, 3, 1 }, null, "1,3,5-7")]
    [InlineData(new[] { 0, 1, 2, 3, 4, 5, 6, 7 }, 4, "0-7%4")]
    [InlineData(new[] { 3 }, null, "3")]
    [InlineData(new[] { 0, 2, 4 }, 1, "0,2,4%1")]
    public void FormatsRangesAndThrottle(int[] cells, int? max, string expected) =>
        Assert.Equal(expected, ArraySpec.Format(cells, max));

    [Theory]
    [InlineData(new int[0], "no cells")]
    [InlineData(new[] { -1, 0 }, "negative")]
    [InlineData(new[] { 1, 2, 2 }, "twice")]
    public void RejectsBadCellLists(int[] cells, string why) =>
        Assert.Contains(why, Assert.Throws<InputException>(() => ArraySpec.Format(cells)).Message);

    [Fact]
    public void RejectsThrottleBelowOne() =>
        Assert.StartsWith("slurm.max_concurrent:", Assert.Throws<InputException>(() => ArraySpec.Format([0, 1], 0)).Message);

    [Theory]
    [InlineData("3", new[] { 3 })]
    [InlineData("0-3", new[] { 0, 1, 2, 3 })]
    [InlineData("[2-3,7]", new[] { 2, 3, 7 })]
    [InlineData("4-5%3", new[] { 4, 5 })]
    [InlineData("[2-5%3]", new[] { 2, 3, 4, 5 })]
    [InlineData("1-7:2", new[] { 1, 3, 5, 7 })]
    public void ParsesWhatSlurmPrints(string expression, int[] expected) =>
        Assert.Equal(expected, ArraySpec.Parse(expression));

    [Theory]
    [InlineData("a-b")]
    [InlineData("3-1")]
    [InlineData("1-2-3")]
    [InlineData("1-7:0")]
    [InlineData("")]
    [InlineData("[1-3")]
    public void RejectsMalformedExpressions(string expression) =>
        Assert.Throws<FormatException>(() => ArraySpec.Parse(expression));

    [Fact]
    public void FormatThenParseGivesTheCellsBack()
    {
        var rng = new Tensors.Rng(7);
        for (int trial = 0; trial < 200; trial++)
        {
            var cells = Enumerable.Range(0, 40).Where(_ => rng.NextDouble() < 0.5).ToArray();
            if (cells.Length == 0) continue;
            Assert.Equal(cells, ArraySpec.Parse(ArraySpec.Format(cells, trial % 3 == 0 ? 5 : null)));
        }
    }
}
