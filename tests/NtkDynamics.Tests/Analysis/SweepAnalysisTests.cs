using NtkDynamics.Analysis;
using NtkDynamics.Tests.Data;

namespace NtkDynamics.Tests.Analysis;

public class SweepAnalysisTests
{
    private static readonly int[] Widths = [16, 64, 256];

    /// <summary>λ drop = 0.2 + 0.1·log4(width/16) + 0.01·seed; one more cell (width 1024) that has not started.</summary>
    internal static string WriteSweep(string folder)
    {
        var cells = new List<(string, Dictionary<string, object>)>();
        foreach (int w in Widths)
            for (int seed = 0; seed < 3; seed++)
            {
                string name = $"model.width={w},seed={seed}";
                cells.Add((name, new() { ["model.width"] = w, ["seed"] = seed }));
                double drop = 0.2 + 0.1 * Math.Log(w / 16.0, 4) + 0.01 * seed;
                double[] lambda = [.. SwitchAnalysisTests.Lambda];
                (lambda[11], lambda[12], lambda[13], lambda[14]) = (9, 9, 10 - 10 * drop, 9.5);
                SwitchAnalysisTests.Known(lambda, name: name, width: w, seed: seed).Write(Path.Combine(folder, name));
            }
        cells.Add(("model.width=1024,seed=0", new() { ["model.width"] = 1024, ["seed"] = 0 }));
        FakeRun.WriteCells(folder, cells);
        return folder;
    }

    /// <summary>
    /// Strategies er and finetune x seeds 0-2, one switch each: idx = 3·(strategy) + seed; the old task's accuracy at the end is
    /// 0.5 - 0.05 idx (acc_drop = 0.4 + 0.05 idx), its kernel drift at the window's end 0.1 + 0.02 (5 - idx)², at the first
    /// measurement after the switch 0.01 idx.
    /// </summary>
    internal static string WriteStrategySweep(string folder)
    {
        var cells = new List<(string, Dictionary<string, object>)>();
        foreach (var (kind, k) in new[] { ("er", 0), ("finetune", 1) })
            for (int seed = 0; seed < 3; seed++)
            {
                string name = $"kind={kind},seed={seed}";
                cells.Add((name, new() { ["strategy.kind"] = kind, ["seed"] = seed }));
                int idx = 3 * k + seed;
                var known = SwitchAnalysisTests.Known(name: name, seed: seed);
                double end = 0.5 - 0.05 * idx; // the old task's accuracy at the new task's end: acc_drop = 0.4 + 0.05 idx
                var accuracy = known.Accuracy.Select(a => a.Step == 200 && a.EvalTask == 0 ? a with { Accuracy = end } : a).ToList();
                (known with
                {
                    Accuracy = accuracy,
                    OldTaskDrift = [.. SwitchAnalysisTests.Steps.Select(s => s == 200 ? 0.1 + 0.02 * (5 - idx) * (5 - idx) : 0.01 * idx)],
                    SummaryMatrix = [[0.9, 0], [end, 0.8 + 0.01 * seed]],
                }).Write(Path.Combine(folder, name));
            }
        FakeRun.WriteCells(folder, cells);
        return folder;
    }

    [Fact]
    public void StrategiesAreSummarisedAndTheKernelChangeIsCorrelatedWithTheForgettingThatFollows()
    {
        using var dir = new TempFolder();
        SweepResult s = SweepAnalysis.Analyze(SweepData.Load(WriteStrategySweep(dir.Path)));

        var er = s.Summaries.Single(g => g.Values[0].Text == "er");
        Assert.Equal(3, er.Runs.Count);
        // Accuracies written as 0.5 - 0.05 idx and 0.8 + 0.01 seed (3 roundings each, 1.2x cancellation), three pair means and
        // their mean: under 16 roundings a side.
        Close.Roundings(new[] { 0.5, 0.45, 0.4 }.Zip([0.8, 0.81, 0.82], (a, b) => (a + b) / 2).Average(), er.Stats["average_accuracy"].Mean, 16, 1.2);
        Close.Roundings(0.45, er.AccuracyMatrix[1, 0], 16, 1.2); // the mean of 0.5, 0.45, 0.4 (as above)
        // one switch per run: pooled groups only when there are several switches
        Assert.Empty(s.PooledGroups);
        // old_task_drift at the window's end falls as idx rises while acc_drop rises: ρ = -1, over all runs and inside each strategy
        QuantityCorrelation All(string within) => s.KernelForgetting.Single(c => c.Kernel == "old_task_drift" && c.Forgetting == "accuracy_drop" && c.Within == within);
        Assert.Equal((-1.0, 6), (Math.Round(All(null!).Rho, 12), All(null!).N));
        Close.Roundings(-1.0, All("strategy.kind=er").Rho, 8); // exact ranks: a covariance, two variances, a square root, a quotient
        Assert.Equal(3, All("strategy.kind=finetune").N);
        Assert.True(double.IsNaN(s.KernelForgetting.Single(c => c.Kernel == "velocity_peak" && c.Forgetting == "accuracy_drop" && c.Within == null).Rho));
        Assert.Equal(0.01 * 2, s.Runs.Single(r => r.Cell.Name == "kind=er,seed=2").Switches[0].OldTaskDriftFirst); // written so, read back through JSON: exact
        Assert.Contains("ρ(S_old, acc_drop)", AnalysisTables.KernelForgetting(s).ToText());

        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(AnalysisJson.WriteSweep(s)));
        Assert.Equal(6 * 2, doc.RootElement.GetProperty("kernel_forgetting").EnumerateArray().Count(c => c.GetProperty("within").ValueKind == System.Text.Json.JsonValueKind.Null));
        Assert.Equal(2, doc.RootElement.GetProperty("summaries").GetArrayLength());
    }

    [Fact]
    public void GroupsAverageOverSeedsAndRankCorrelationFollowsTheSweptVariable()
    {
        using var dir = new TempFolder();
        SweepResult s = SweepAnalysis.Analyze(SweepData.Load(WriteSweep(dir.Path)));
        Assert.Equal(["model.width"], s.Variables);
        Assert.Equal(9, s.Runs.Count);
        Assert.Equal("model.width=1024,seed=0", Assert.Single(s.Missing).Cell.Name);
        Assert.Equal(["16", "64", "256"], s.Groups.Select(g => g.Values[0].Text));
        for (int i = 0; i < 3; i++)
        {
            MeanSe m = s.Groups[i].Stats["lambda_drop"];
            // λ_drop comes back as (10 - λmin)/10 from λmin = 10 - 10·drop (5x cancellation at drop 0.2), then a mean of three:
            // under 16 roundings a side. The standard error's deviations, 0.01, come from values up to 0.42 carrying that 5x.
            Close.Roundings(0.21 + 0.1 * i, m.Mean, 16, 5);
            Close.Roundings(0.01 / Math.Sqrt(3), m.StandardError, 24, 5 * 42);
            Assert.Equal(3, m.N);
            Assert.Equal(3, s.Groups[i].Runs.Count);
            Close.Roundings(50, s.Groups[i].Stats["velocity_ratio"].Mean, 8); // 0.05 / 0.001 from decimal inputs, then a mean of equal values
        }
        // x ranks 2,2,2,5,5,5,8,8,8 against y ranks 1..9: ρ = 54 / √(54·60).
        RankCorrelation c = s.Correlations.Single(c => c.Variable == "model.width" && c.Quantity == "lambda_drop");
        Close.Roundings(Math.Sqrt(54.0 / 60), c.Rho, 8); // exact ranks: a covariance, two variances, a square root, a quotient
        Assert.Equal(9, c.N);
        Assert.True(double.IsNaN(s.Correlations.Single(c => c.Quantity == "velocity_ratio").Rho)); // constant
        Assert.DoesNotContain(SweepAnalysis.SimilarityVariable, s.CorrelationVariables); // one similarity only

        string json = File.ReadAllText(AnalysisJson.WriteSweep(s));
        using var doc = System.Text.Json.JsonDocument.Parse(json);
        var g0 = doc.RootElement.GetProperty("groups")[0];
        Assert.Equal(16, g0.GetProperty("values").GetProperty("model.width").GetInt32());
        Close.Roundings(0.21, g0.GetProperty("stats").GetProperty("lambda_drop").GetProperty("mean").GetDouble(), 16, 5); // as m.Mean above
        Assert.Contains("\"spearman_rho\"", json);

        string groups = AnalysisTables.Groups(s).ToText();
        Assert.Contains("0.21 ± 0.0058", groups);
        Assert.Contains("0.949 (n=9)", AnalysisTables.Correlations(s).ToText());
    }

    [Fact]
    public void NotASweepOrRunFolderIsAnInputError()
    {
        using var dir = new TempFolder();
        Assert.Contains("cells.json is missing", Assert.Throws<InputException>(() => SweepData.Load(dir.Path)).Message);
        FakeRun.WriteCells(dir.Path, [("a", new() { ["seed"] = 0 })]);
        Assert.Contains("none of the 1 runs", Assert.Throws<InputException>(() => SweepAnalysis.Analyze(SweepData.Load(dir.Path))).Message);
    }
}
