using System.Text.Json;
using NtkDynamics.Experiments;
using NtkDynamics.Formats;

namespace NtkDynamics.Tests.Experiments;

public class RunnerTests
{
    internal static string TinyYaml(string name, string output, string extra = "") => $"""
        name: {name}
        output: {output}
        seed: 3
        model: {"{"}kind: cnn, width: 8{"}"}
        data: {"{"}dataset: embedded, train_per_class: 16, test_per_class: 8{"}"}
        stream: {"{"}kind: class-split, tasks: 2, classes_per_task: 5, probe_size: 10{"}"}
        train: {"{"}lr: 0.01, momentum: 0.9, batch_size: 16, epochs_per_task: 2{"}"}
        ntk: {"{"}every: 3, dense_window: 4, dense_every: 1{"}"}
        checkpoint: {"{"}every_steps: 4{"}"}
        {extra}
        """;

    private static string TempDir()
    {
        var d = Path.Combine(Path.GetTempPath(), "ntk-test-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(d);
        return d;
    }

    private static List<JsonElement> Rows(RunFolder run) =>
        File.ReadAllLines(run.Metrics).Select(l => JsonDocument.Parse(l).RootElement).ToList();

    [Fact]
    public void AShortRealRunWritesEveryFileWithSaneValues()
    {
        var dir = TempDir();
        var cfg = ExperimentConfig.Parse(TinyYaml("tiny", dir));
        var events = new List<RunEvent>();
        var run = Runner.Start(cfg, observe: events.Add);
        foreach (var f in new[] { "config.yaml", "status.json", "stream.txt", "stream.json", "metrics.jsonl", "accuracy.csv", "summary.json", "probe.npy", "probe_labels.npy", "checkpoints/latest" })
            Assert.True(File.Exists(run.File(f)), f);
        Assert.Equal("finished", run.ReadState());
        Assert.Equal(cfg.ToYaml(), ExperimentConfig.Load(run.Config).ToYaml());

        // 80 train images per task, batch 16: 5 steps per epoch, 10 per task, 20 in all.
        var rows = Rows(run);
        var steps = rows.Select(r => r.GetProperty("step").GetInt32()).ToArray();
        Assert.Equal(new[] { 0, 3, 6, 9, 10, 11, 12, 13, 14, 15, 18, 20 }, steps);
        Assert.Equal(0.0, rows[0].GetProperty("kernel_distance_init").GetDouble());
        Assert.Equal(JsonValueKind.Null, rows[0].GetProperty("velocity").ValueKind);
        foreach (var r in rows.Skip(1))
        {
            Assert.True(r.GetProperty("lambda_max").GetDouble() > 0);
            double v = r.GetProperty("velocity").GetDouble(), d = r.GetProperty("kernel_distance_prev").GetDouble();
            Assert.Equal(d / r.GetProperty("dt_steps").GetDouble(), v); // the runner's own division; JSON keeps every digit
            Assert.InRange(r.GetProperty("alignment").GetDouble(), -1, 1);
            double shares = r.GetProperty("layer_share").EnumerateObject().Sum(p => p.Value.GetDouble());
            // Each share is a layer's trace over Σλ (the spectrum's sum): the eigenvalues are within 4n·u·‖K‖_F of exact
            // (SymmetricEigenTests), so Σλ within 4n²·u·trace (‖K‖_F ≤ trace for a PSD K); the layers' traces and the shares'
            // sum add 2(n + layers) roundings: within 8n²·u of 1 for n = 10 probe rows.
            Close.Relative(1.0, shares, 8 * 10 * 10 * Close.U64, what: "layer shares' sum");
            Assert.True(File.Exists(run.File(r.GetProperty("kernel_file").GetString()!)));
        }
        // Θ_switch of task 1 is the kernel at step 10: the distance to it restarts from there.
        var afterSwitch = rows.First(r => r.GetProperty("step").GetInt32() == 11);
        Assert.Equal(1, afterSwitch.GetProperty("task").GetInt32());
        Assert.Equal(afterSwitch.GetProperty("kernel_distance_prev").GetDouble(), afterSwitch.GetProperty("kernel_distance_switch").GetDouble()); // one function of the same two kernels
        var k10 = Npy.Read(run.File("kernels/step_000010.npy"));
        Assert.Equal(new[] { 10, 10 }, k10.Shape);

        var acc = File.ReadAllLines(run.Accuracy);
        Assert.Equal(RunFolder.AccuracyHeader, acc[0]);
        Assert.Equal(2 * 5, acc.Length - 1); // evaluations at steps 0, 5, 10, 15, 20, each on 2 tasks
        using var summary = JsonDocument.Parse(File.ReadAllText(run.Summary));
        Assert.Equal(2, summary.RootElement.GetProperty("accuracy_matrix").GetArrayLength());
        // forward transfer: accuracy on task 1 after task 0, minus the randomly initialised model's (step 0)
        double initial1 = summary.RootElement.GetProperty("initial_accuracy")[1].GetDouble();
        double r01 = summary.RootElement.GetProperty("accuracy_matrix")[0][1].GetDouble();
        Assert.Equal(r01 - initial1, summary.RootElement.GetProperty("forward_transfer").GetDouble()); // the mean of one difference: exact
        Assert.Equal(double.Parse(acc[2].Split(',')[4], System.Globalization.CultureInfo.InvariantCulture), initial1);

        // task 0's probe block: its reference is the kernel at its last step (10), from where it drifts
        double Drift(int step) => rows.First(r => r.GetProperty("step").GetInt32() == step).GetProperty("old_task_drift").GetProperty("0").GetDouble();
        Assert.Empty(rows.First(r => r.GetProperty("step").GetInt32() == 9).GetProperty("old_task_drift").EnumerateObject());
        // 1 - CKA(K, K) = 1 - h / sqrt(h·h): three roundings of a quotient that is 1 in exact arithmetic, within 4u of 0.
        Close.Relative(0.0, Drift(10), 0, abs: 4 * Close.U64, what: "drift at the task's end");
        Assert.True(Drift(20) > 0);
        var k20 = Npy.Read(run.File("kernels/step_000020.npy")).ToDouble();
        int[] rows0 = [0, 1, 2, 3, 4]; // the probe's 10 rows are sorted by label: task 0's labels 0-4 come first
        double[] Block(double[] k) => [.. rows0.SelectMany(a => rows0.Select(b => k[a * 10 + b]))];
        Assert.Equal(NtkDynamics.Ntk.Metrics.KernelDistance.Centred(Block(k10.ToDouble()), Block(k20)), Drift(20)); // the runner's function on the saved (float64) kernels: exact
        Assert.Contains(events, e => e.Kind == "end" && e.Message == "finished");

        var e2 = Assert.Throws<InputException>(() => Runner.Start(cfg));
        Assert.Contains("--resume", e2.Message);
        Directory.Delete(dir, true);
    }

    [Fact]
    public void ADivergingRunStopsCleanlyWithItsStep()
    {
        var dir = TempDir();
        var cfg = ExperimentConfig.Parse(TinyYaml("boom", dir).Replace("lr: 0.01", "lr: 1e12"));
        var run = Runner.Start(cfg);
        Assert.Equal("diverged", run.ReadState());
        using var status = JsonDocument.Parse(File.ReadAllText(run.Status));
        Assert.Contains("at step", status.RootElement.GetProperty("reason").GetString());
        Directory.Delete(dir, true);
    }

    /// <summary>
    /// Two `ntk run` processes of one config and seed write the same run folder: metrics (but timings), kernels,
    /// accuracy.csv, checkpoints, every file <see cref="SameRunFolder"/> lists. The second process may run with other
    /// thread counts where that is claimed not to matter: our parallel loops on one thread (DOTNET_PROCESSOR_COUNT=1: each
    /// reduction has a fixed order, whatever the threads), OpenBLAS on 2 or 4 threads (its threaded GEMM splits only rows
    /// and columns among threads, never the sum), the managed backend on any number. Not asserted, because it is not so
    /// (docs/reproducibility.md): OpenBLAS on one thread (its single-threaded driver blocks the sum differently) and the
    /// managed backend against OpenBLAS (other kernels, other summation order).
    /// </summary>
    [Theory]
    [InlineData("trace", "", "")]
    [InlineData("trace", "OPENBLAS_NUM_THREADS=2", "OPENBLAS_NUM_THREADS=4 DOTNET_PROCESSOR_COUNT=1")]
    [InlineData("trace", "NTK_BLAS=managed", "NTK_BLAS=managed DOTNET_PROCESSOR_COUNT=1")]
    [InlineData("full", "OPENBLAS_NUM_THREADS=2", "OPENBLAS_NUM_THREADS=2 DOTNET_PROCESSOR_COUNT=3")] // 100 rows: SymmetricGram's packed tiles
    public void TwoProcessesOfOneConfigWriteTheSameRunFolder(string kind, string firstEnvironment, string secondEnvironment)
    {
        var dir = TempDir();
        string yaml = TinyYaml("first", dir).Replace("ntk: {every: 3,", kind == "full" ? "ntk: {kind: full, method: per-sample, every: 3," : "ntk: {every: 3,");
        File.WriteAllText(Path.Combine(dir, "first.yaml"), yaml);
        File.WriteAllText(Path.Combine(dir, "second.yaml"), yaml.Replace("name: first", "name: second"));
        NtkProcess.RunWith(Variables(firstEnvironment), "run", Path.Combine(dir, "first.yaml"), "--quiet");
        NtkProcess.RunWith(Variables(secondEnvironment), "run", Path.Combine(dir, "second.yaml"), "--quiet");
        var first = new RunFolder(Path.Combine(dir, "first"));
        Assert.Equal("finished", first.ReadState());
        Assert.True(SameRunFolder.AssertSame(first, new RunFolder(Path.Combine(dir, "second"))) >= 20);
        Directory.Delete(dir, true);
    }

    private static Dictionary<string, string> Variables(string assignments) =>
        assignments.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(a => a.Split('=', 2)).ToDictionary(a => a[0], a => a[1]);

    // Reference and resumed run are both `ntk run` child processes, as a user would run them.
    [Fact]
    public void KilledAtSeveralPointsAndResumedEndsIdenticalToAnUninterruptedRun() =>
        KilledAndResumedEndsIdentical(TinyYaml("kill", TempDir()).Replace("epochs_per_task: 2", "epochs_per_task: 6"), [4, 11, 19]);

    /// <summary>
    /// Every strategy keeps its state (buffer, Fisher, old model, random streams) across a kill -9: killed in the first task
    /// and again in the second (where the buffer is full, the Fisher and the old model exist), resumed, it ends identical.
    /// </summary>
    [Theory]
    [InlineData("joint")]
    [InlineData("er")]
    [InlineData("derpp")]
    [InlineData("agem")]
    [InlineData("ewc-online")]
    [InlineData("lwf")]
    public void EveryStrategyKilledAndResumedEndsIdentical(string kind)
    {
        string options = kind switch
        {
            "er" or "derpp" or "agem" => ", buffer: 30, replay_batch: 8",
            "lwf" => ", warmup_epochs: 1",
            "ewc-online" => ", lambda: 5, gamma: 0.9",
            _ => "",
        };
        KilledAndResumedEndsIdentical(TinyYaml("kill", TempDir(), $"strategy: {{kind: {kind}{options}}}").Replace("epochs_per_task: 2", "epochs_per_task: 4"), [6, 13]);
    }

    /// <summary>
    /// A graph model with Dropout: its mask generator's state is in the checkpoints (model.safetensors' metadata) and the
    /// graph inline in the run's config.yaml, so a resumed run draws the masks the uninterrupted one draws.
    /// </summary>
    [Fact]
    public void ADropoutGraphKilledAndResumedEndsIdentical()
    {
        string dir = TempDir(), graph = Path.Combine(dir, "dropout.yaml");
        File.WriteAllText(graph, "nodes:\n  - {name: flat, kind: flatten}\n  - {name: fc1, kind: linear, out: 24}\n  - {name: act, kind: tanh}\n" +
            "  - {name: drop, kind: dropout, p: 0.5}\n  - {name: fc2, kind: linear, out: 10}\n");
        // A 24-unit MLP trains 40 steps in a few milliseconds, faster than a kill at row 13 could land (it failed so at load
        // 25); 200 steps leave the kills a window of ~60 rows.
        KilledAndResumedEndsIdentical(TinyYaml("kill", dir).Replace("model: {kind: cnn, width: 8}", $"model: {{graph: {graph}}}").Replace("epochs_per_task: 2", "epochs_per_task: 20"), [6, 13]);
    }

    /// <summary>
    /// ResNet-18 from the config (model: {kind: resnet18}): BatchNorm's running statistics are in the checkpoints with the
    /// parameters, so a run killed twice and resumed trains, evaluates and measures the eNTK exactly as an uninterrupted one.
    /// </summary>
    [Fact]
    public void AResNet18KilledAndResumedEndsIdentical() =>
        KilledAndResumedEndsIdentical(TinyYaml("kill", TempDir()).Replace("kind: cnn, width: 8", "kind: resnet18, width: 4").Replace("epochs_per_task: 2", "epochs_per_task: 4"), [6, 13]);

    internal static void KilledAndResumedEndsIdentical(string yaml, int[] killAtRows)
    {
        var dir = ExperimentConfig.Parse(yaml).Output;
        File.WriteAllText(Path.Combine(dir, "kill.yaml"), yaml);
        File.WriteAllText(Path.Combine(dir, "reference.yaml"), yaml.Replace("name: kill", "name: reference"));
        NtkProcess.Run("run", Path.Combine(dir, "reference.yaml"), "--quiet");
        var reference = new RunFolder(Path.Combine(dir, "reference"));

        var run = new RunFolder(Path.Combine(dir, "kill"));
        int kills = 0;
        foreach (int rows in killAtRows)
        {
            string[] args = kills == 0 ? ["run", Path.Combine(dir, "kill.yaml"), "--quiet"] : ["run", "--resume", run.Path, "--quiet"];
            if (NtkProcess.KillWhen(() => File.Exists(run.Metrics) && File.ReadAllLines(run.Metrics).Length >= rows, args)) kills++;
        }
        Assert.True(kills >= killAtRows.Length - 1, $"only {kills} kills landed");
        Assert.NotEqual("finished", run.ReadState());
        NtkProcess.Run("run", "--resume", run.Path, "--quiet");

        Assert.Equal("finished", reference.ReadState());
        Assert.Equal("finished", run.ReadState());
        SameRunFolder.AssertSame(reference, run); // metrics but timings, kernels, accuracy.csv, checkpoints: every file
        Directory.Delete(dir, true);
    }
}
