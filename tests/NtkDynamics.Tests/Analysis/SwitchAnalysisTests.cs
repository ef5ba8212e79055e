using NtkDynamics.Analysis;
using NtkDynamics.Experiments;
using NtkDynamics.Tests.Data;

namespace NtkDynamics.Tests.Analysis;

public class SwitchAnalysisTests
{
    // Two tasks of 100 steps, a measurement every 10 steps (0..200), an evaluation every 20.
    internal static readonly int[] Steps = [.. Enumerable.Range(0, 21).Select(i => 10 * i)];

    // kernel_distance_prev at steps 10..200 (dt = 10, so velocity = value / 10): quiet late in task 1, a spike at step 120.
    private static readonly double[] Prev = [double.NaN, 0.05, 0.03, 0.02, 0.012, 0.011, 0.01, 0.009, 0.01, 0.012, 0.008,
        0.2, 0.5, 0.1, 0.05, 0.02, 0.015, 0.01, 0.01, 0.01, 0.01];

    // λmax: 10 before the switch, a check-mark down to 4 at step 130, back above 10 at step 160.
    internal static readonly double[] Lambda = [5, 6, 7, 8, 9, 10, 10, 10, 10, 10, 10, 8, 6, 4, 7, 9.5, 10.2, 11, 11.5, 12, 12];

    private static readonly double[] Align = [0.2, 0.3, 0.4, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.78, 0.8,
        0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.68, 0.7];

    internal static FakeRun Known(double[]? lambda = null, int[]? stepsPerTask = null, string name = "fake", int width = 16, int seed = 0) => new()
    {
        Name = name,
        Width = width,
        Seed = (ulong)seed,
        StepsPerTask = stepsPerTask ?? [100, 100],
        Steps = Steps,
        LambdaMax = lambda ?? Lambda,
        KernelDistancePrev = Prev,
        KernelDistanceInit = [.. Steps.Select(s => s <= 100 ? 0.003 * s : 0.45 + 0.001 * (s - 110))],
        Alignment = Align,
        Accuracy = [.. Enumerable.Range(0, 11).SelectMany(i => new[]
        {
            (20 * i, 20 * i <= 100 ? 0 : 1, 0, new[] { 0.1, 0.5, 0.7, 0.8, 0.85, 0.9, 0.5, 0.3, 0.4, 0.45, 0.5 }[i]),
            (20 * i, 20 * i <= 100 ? 0 : 1, 1, 20 * i <= 100 ? 0.0 : 0.08 * i),
        })],
    };

    // The analysis takes each quantity from the fake run's decimal inputs in at most 4 float64 operations (differences,
    // quotients, the mean of a median's two middle values), each rounded within u of its result; the inputs are rounded once
    // each (within u), and the worst difference, 0.7 - 0.8 = -0.1, scales their errors by 8: within (2·8 + 4 + 1)·u < 32u
    // of the exact value, relative (the expected literal is within u of it too).
    private static void Near(double expected, double actual) => Close.Relative(expected, actual, 32 * Close.U64);

    private static SwitchResult AnalyzeOne(FakeRun fake, SwitchOptions? options = null)
    {
        using var dir = new TempFolder();
        return Assert.Single(SwitchAnalysis.Analyze(RunData.Load(fake.Write(dir.Path)), options));
    }

    [Fact]
    public void KnownSpikeAndCheckMarkGiveTheKnownNumbers()
    {
        SwitchResult r = AnalyzeOne(Known());
        Assert.Equal((1, 0, 1, 100, 200, 200), (r.Switch, r.FromTask, r.ToTask, r.SwitchStep, r.WindowEndStep, r.TaskEndStep));
        Assert.Equal(0.0, r.Similarity);
        // baseline: median of the velocities at steps 60..100 (the late 50 % of task 1) = median(0.001, 0.0009, 0.001, 0.0012, 0.0008).
        Near(0.001, r.VelocityBaseline);
        Near(0.05, r.VelocityPeak);
        Assert.Equal(20, r.VelocityPeakSteps);
        Near(50, r.VelocityRatio);
        Assert.Equal((10, 4, 30), (r.LambdaPre, r.LambdaMin, r.LambdaMinSteps!.Value));
        Near(0.6, r.LambdaDrop);
        Assert.Equal(60, r.LambdaRecoverySteps);
        Near(0.3, r.KernelDistanceInitBefore);
        Near(0.45, r.KernelDistanceInitAfter);
        Near(0.15, r.KernelDistanceJump);
        Near(0.2, r.KernelDistanceAcross);
        Assert.Equal((0.8, 0.7), (r.AlignmentBefore, r.AlignmentEnd));
        Near(-0.1, r.AlignmentChange);
        Assert.Equal((0.9, 0.5, 0.3), (r.AccuracyOldBefore, r.AccuracyOldEnd, r.AccuracyOldMin));
        Near(0.4, r.AccuracyDrop);
        Near(0.6, r.AccuracyDropMax);
    }

    [Fact]
    public void TheWindowAndTheLateFractionChangeWhatIsTaken()
    {
        SwitchResult r = AnalyzeOne(Known(), new SwitchOptions(LateFraction: 1, WindowSteps: 15));
        Assert.Equal(115, r.WindowEndStep);
        // all ten velocities of task 1: median of 0.0011 and 0.0012.
        Near(0.00115, r.VelocityBaseline);
        Near(0.02, r.VelocityPeak);
        Assert.Equal((8, 10), (r.LambdaMin, r.LambdaMinSteps!.Value));
        Near(0.2, r.LambdaDrop);
        Assert.Equal(60, r.LambdaRecoverySteps); // recovery is searched up to the task's end, not the window's
        Assert.Equal(0.3, r.AlignmentEnd); // an input, through metrics.jsonl's round-trip digits: exact

        SwitchResult half = AnalyzeOne(Known(), new SwitchOptions(WindowSteps: 50));
        Assert.Equal((150, 0.5), (half.WindowEndStep, half.AlignmentEnd));
        Near(-0.3, half.AlignmentChange);

        Assert.Throws<InputException>(() => new SwitchOptions(LateFraction: 0).Validated());
        Assert.Throws<InputException>(() => new SwitchOptions(WindowSteps: 0).Validated());
    }

    [Fact]
    public void ACheckMarkThatNeverComesBackIsNotRecoveredAndNoDipIsZero()
    {
        double[] stuck = [.. Lambda.Select((l, i) => i > 10 ? Math.Min(l, 9.9) : l)];
        SwitchResult r = AnalyzeOne(Known(stuck));
        Assert.Null(r.LambdaRecoverySteps);
        Assert.Equal("not recovered", AnalysisTables.Switches([r]).Rows[0][3 + SwitchQuantity.Headlines.ToList().FindIndex(q => q.Key == "lambda_recovery_steps")]);

        double[] rising = [.. Lambda.Select((l, i) => i > 10 ? 10 + i : l)];
        SwitchResult up = AnalyzeOne(Known(rising));
        Assert.Equal(0, up.LambdaRecoverySteps);
        Assert.True(up.LambdaDrop < 0);
    }

    [Fact]
    public void SwitchesNotYetMeasuredAreLeftOut()
    {
        using var dir = new TempFolder();
        // three tasks planned, measurements only up to step 200 (the third task starts at 200).
        var run = RunData.Load(Known(stepsPerTask: [100, 100, 100]).Write(dir.Path));
        Assert.Equal([100, 200], run.SwitchSteps);
        Assert.Equal(1, Assert.Single(SwitchAnalysis.Analyze(run)).Switch);
    }

    [Fact]
    public void AnalysisJsonNamesEveryQuantityWithItsDefinitionAndWritesNullForMissing()
    {
        using var dir = new TempFolder();
        var run = RunData.Load(Known(Lambda.Select((l, i) => i > 10 ? Math.Min(l, 9.9) : l).ToArray()).Write(dir.Path));
        var results = SwitchAnalysis.Analyze(run);
        string path = AnalysisJson.WriteRun(run, results, new SwitchOptions());
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(path));
        var root = doc.RootElement;
        Assert.Equal(0.5, root.GetProperty("options").GetProperty("late_fraction").GetDouble());
        var defs = root.GetProperty("definitions");
        var sw = root.GetProperty("switches")[0];
        foreach (SwitchQuantity q in SwitchQuantity.All)
        {
            Assert.False(string.IsNullOrWhiteSpace(defs.GetProperty(q.Key).GetString()));
            Assert.True(sw.TryGetProperty(q.Key, out _), q.Key);
        }
        Near(50, sw.GetProperty("velocity_ratio").GetDouble());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, sw.GetProperty("lambda_recovery_steps").ValueKind);
        Assert.False(sw.GetProperty("lambda_recovered").GetBoolean());
    }

    [Fact]
    public void BadRunFoldersNameTheFile()
    {
        using var dir = new TempFolder();
        Assert.Contains("no such folder", Assert.Throws<InputException>(() => RunData.Load(Path.Combine(dir.Path, "nope"))).Message);
        Known().Write(dir.Path);
        File.AppendAllText(Path.Combine(dir.Path, "metrics.jsonl"), "{\"step\": 5, \"lambda_max\": \"big\"}\n");
        Assert.Contains("metrics.jsonl:22", Assert.Throws<InputException>(() => RunData.Load(dir.Path)).Message);
        File.Delete(Path.Combine(dir.Path, "stream.json"));
        Assert.Contains("stream.json is missing", Assert.Throws<InputException>(() => RunData.Load(dir.Path)).Message);
    }
}
