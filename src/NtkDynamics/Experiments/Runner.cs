using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using NtkDynamics.Continual;
using NtkDynamics.Data;
using NtkDynamics.Formats;
using NtkDynamics.Nn;
using NtkDynamics.Ntk;
using NtkDynamics.Strategies;
using NtkDynamics.Tensors;

namespace NtkDynamics.Experiments;

/// <summary>
/// Trains task after task, measuring the probe eNTK and the accuracy on every task on schedule, into a run folder
/// (docs/run-folder.md); checkpoints so that a killed run resumes from its last checkpoint and ends with the same metrics.
/// </summary>
public sealed class Runner
{
    private readonly ExperimentConfig _config;
    private readonly Experiment _experiment;
    private readonly RunFolder _run;
    private readonly Schedule _schedule;
    private readonly Sgd _optimizer;
    private readonly KernelTracker _tracker;
    private readonly IStrategy _strategy;
    private readonly Action<RunEvent> _observe;
    private CheckpointState _state = new();
    private (int Task, int Epoch, Samples Order)? _order;
    private double _lastLambda = double.NaN, _lastAccuracy = double.NaN;
    private int _stepsDone;
    private RunLease? _lease;

    private Runner(Experiment experiment, RunFolder run, Action<RunEvent>? observe)
    {
        _experiment = experiment; _config = experiment.Config; _run = run; _observe = observe ?? (_ => { });
        var stream = _experiment.Stream;
        _schedule = experiment.Schedule;
        _strategy = experiment.Strategy;
        var t = _config.Train;
        _optimizer = new Sgd(_experiment.Model.Parameters, t.LrValue, t.Momentum, t.WeightDecay, t.Nesterov);
        _tracker = new KernelTracker(stream.Probe.Labels, stream.NumClasses, _config.Ntk.TopEigenvalues,
            [.. stream.Tasks.Select(task => task.ProbeRows)], _config.Ntk.Kind == "full" ? stream.NumClasses : 1);
    }

    private static Experiment Build(ExperimentConfig config, Action<RunEvent>? observe) =>
        Experiment.Build(config, msg => observe?.Invoke(new RunEvent("message", 0, 0, 0, 0, 0, Message: msg)));

    /// <summary>The folder a config's run goes to: output/name.</summary>
    public static string FolderOf(ExperimentConfig config) => Path.Combine(config.Output, config.Name);

    /// <summary>
    /// Starts a new run in <paramref name="folder"/> (default output/name). The config is checked completely against its
    /// data (<see cref="Experiment.Build"/>) before the folder is created. An existing run folder is an error unless
    /// <paramref name="overwrite"/>, or unless it holds a run that ended before its first step (it is replaced). An input
    /// error before the first step removes the folder again. Returns the run folder.
    /// </summary>
    public static RunFolder Start(ExperimentConfig config, string? folder = null, bool overwrite = false, Action<RunEvent>? observe = null,
        CancellationToken stop = default)
    {
        CheckFree(new RunFolder(folder ?? FolderOf(config)), overwrite);
        return Start(Build(config, observe), folder, overwrite, observe, stop);
    }

    /// <summary>Starts a new run of an experiment already built (and so checked); see the other overload.</summary>
    public static RunFolder Start(Experiment experiment, string? folder = null, bool overwrite = false, Action<RunEvent>? observe = null,
        CancellationToken stop = default)
    {
        var run = new RunFolder(folder ?? FolderOf(experiment.Config));
        CheckFree(run, overwrite);
        using var lease = RunLease.Acquire(run.Path);
        return StartHeld(experiment, run, overwrite, lease, observe, stop);
    }

    /// <summary>
    /// Resumes the run in <paramref name="folder"/> when it has one (config.yaml), else starts <paramref name="experiment"/>
    /// there, deciding under the run's lease (a sweep cell's worker).
    /// </summary>
    public static RunFolder StartOrResume(Experiment experiment, string folder, Action<RunEvent>? observe = null, CancellationToken stop = default)
    {
        var run = new RunFolder(folder);
        using var lease = RunLease.Acquire(run.Path);
        return File.Exists(run.Config) ? ResumeHeld(run, lease, observe, stop) : StartHeld(experiment, run, overwrite: true, lease, observe, stop);
    }

    private static RunFolder StartHeld(Experiment experiment, RunFolder run, bool overwrite, RunLease lease, Action<RunEvent>? observe, CancellationToken stop)
    {
        var runner = new Runner(experiment, run, observe) { _lease = lease };
        CheckFree(run, overwrite);
        if (Directory.Exists(run.Path)) Directory.Delete(run.Path, true);
        Directory.CreateDirectory(run.Path);
        try
        {
            runner.WriteFreshFiles();
            runner.Loop(0, stop);
        }
        catch (InputException) when (runner._stepsDone == 0)
        {
            Directory.Delete(run.Path, true);
            throw;
        }
        return run;
    }

    /// <summary>
    /// Throws unless <paramref name="run"/>'s folder is absent, empty, may be overwritten, or holds a run that failed before
    /// its first step; a path that is a file, or whose parent is a file, is an error either way.
    /// </summary>
    private static void CheckFree(RunFolder run, bool overwrite)
    {
        for (string? p = run.Path; p is not null; p = Path.GetDirectoryName(p))
            if (File.Exists(p)) throw new InputException($"{p}: is a file, but the run folder {run.Path} needs a folder there (check output and name)");
        if (!Directory.Exists(run.Path) || !Directory.EnumerateFileSystemEntries(run.Path).Any() || overwrite) return;
        if (run.FailedBeforeFirstStep()) return;
        throw new InputException($"{run.Path}: a run folder is already there (state {run.ReadState() ?? "unknown"}); resume it with --resume, or pass --force to start over");
    }

    /// <summary>Continues a run from its last checkpoint (or from the start when it has none); a finished run is left as it is.</summary>
    public static RunFolder Resume(string folder, Action<RunEvent>? observe = null, CancellationToken stop = default)
    {
        var run = new RunFolder(folder);
        if (!File.Exists(run.Config)) throw new InputException($"{run.Path}: not a run folder (no config.yaml)");
        if (run.ReadState() == "finished") return run; // final: no lease needed to know it
        using var lease = RunLease.Acquire(run.Path);
        return ResumeHeld(run, lease, observe, stop);
    }

    private static RunFolder ResumeHeld(RunFolder run, RunLease lease, Action<RunEvent>? observe, CancellationToken stop)
    {
        if (run.ReadState() == "finished") return run;
        var config = ExperimentConfig.Load(run.Config);
        var runner = new Runner(Build(config, observe), run, observe) { _lease = lease };
        run.RemoveTemporaryFiles();
        string? checkpoint = Checkpoint.Latest(run);
        if (checkpoint is null)
        {
            runner.WriteFreshFiles();
            runner.Loop(0, stop);
            return run;
        }
        runner._state = Checkpoint.Load(checkpoint, runner._experiment.Model, runner._optimizer, runner._tracker, runner._strategy);
        int step = runner._state.Step;
        RunFolder.TruncateAfter(run.Metrics, step, StepOfJson);
        RunFolder.TruncateAfter(run.Accuracy, step, StepOfCsv);
        if (Directory.Exists(run.Kernels))
            foreach (var f in Directory.GetFiles(run.Kernels, "step_*.npy").Where(f => !int.TryParse(Path.GetFileNameWithoutExtension(f)[5..], out int k) || k > step))
                File.Delete(f);
        runner._observe(new RunEvent("message", step, runner._schedule.TotalSteps, 0, 0, 0, Message: $"resuming {run.Path} from step {step}"));
        runner.Loop(step, stop);
        return run;
    }

    private static int? StepOfJson(string line)
    {
        try { using var d = JsonDocument.Parse(line); return d.RootElement.GetProperty("step").GetInt32(); }
        catch (JsonException) { return int.MaxValue; }
    }

    private static int? StepOfCsv(string line) =>
        line.StartsWith("step,") ? null : int.TryParse(line.Split(',')[0], out int s) ? s : int.MaxValue;

    private void WriteFreshFiles()
    {
        var stream = _experiment.Stream;
        AtomicFile.WriteText(_run.Config, _config.ToYaml());
        AtomicFile.WriteText(_run.File("stream.txt"), stream.Describe() + $"model: {_experiment.Model}\n");
        AtomicFile.WriteText(_run.File("stream.json"), JsonSerializer.Serialize(StreamInfo(), Json.Indented));
        Npy.Write(_run.File("probe.npy"), stream.Probe.Images);
        Npy.Write(_run.File("probe_labels.npy"), stream.Probe.Labels.Select(l => (long)l).ToArray(), stream.Probe.Labels.Length);
        AtomicFile.WriteText(_run.Metrics, "");
        AtomicFile.WriteText(_run.Accuracy, RunFolder.AccuracyHeader + "\n");
        if (_config.Ntk.SaveKernels) Directory.CreateDirectory(_run.Kernels);
    }

    private Dictionary<string, object?> StreamInfo()
    {
        var s = _experiment.Stream;
        return new()
        {
            ["kind"] = s.Kind, ["head"] = s.Head == HeadKind.TaskIncremental ? "task-incremental" : "class-incremental", ["strategy"] = _strategy.Kind,
            ["similarity_measure"] = s.SimilarityMeasure, ["num_classes"] = s.NumClasses, ["class_names"] = s.HeadClassNames,
            ["steps_per_task"] = s.Tasks.Select(t => _schedule.EndStep[t.Index] - _schedule.StartStep[t.Index]).ToArray(),
            ["total_steps"] = _schedule.TotalSteps,
            ["model"] = _experiment.Model.Description, ["parameters"] = _experiment.Model.ParameterCount,
            ["tasks"] = s.Tasks.Select(t => new Dictionary<string, object?>
            {
                ["index"] = t.Index, ["name"] = t.Name, ["classes"] = t.Classes, ["class_names"] = t.Classes.Select(c => s.Data.ClassNames[c]).ToArray(),
                ["weights"] = t.Weights, ["train_size"] = _strategy.TrainingSet(t.Index).Count, ["test_size"] = t.TestIndices.Length, ["similarity"] = t.Similarity,
                ["transform"] = t.Transform?.Describe(), ["probe_rows"] = t.ProbeRows,
                ["start_step"] = _schedule.StartStep[t.Index], ["end_step"] = _schedule.EndStep[t.Index], ["steps_per_epoch"] = _schedule.StepsPerEpoch[t.Index],
            }).ToArray(),
        };
    }

    /// <summary>Trains from <paramref name="fromStep"/> to the end; when <paramref name="stop"/> fires (SIGTERM, Ctrl-C) it checkpoints
    /// after the current step and ends with state "stopped", to be resumed.</summary>
    private void Loop(int fromStep, CancellationToken stop)
    {
        var stream = _experiment.Stream;
        int total = _schedule.TotalSteps, tasks = stream.Tasks.Count;
        _run.WriteStatus("running", fromStep, total);
        _observe(new RunEvent("start", fromStep, total, _schedule.TaskOf(fromStep), tasks, _schedule.EpochAt(fromStep)));
        try
        {
            if (fromStep == 0)
            {
                Measure(0);
                Evaluate(0);
            }
            for (int step = fromStep + 1; step <= total; step++)
            {
                if (_lease is { Lost: true })
                    throw new RunBusyException($"{_run.Path}: another process took over this run's lease (its lock is not shared between hosts); stopped without writing");
                if (stop.IsCancellationRequested)
                {
                    if (step - 1 > 0 && !_schedule.IsCheckpoint(step - 1)) SaveCheckpoint(step - 1);
                    int at = Math.Max(0, step - 1);
                    _run.WriteStatus("stopped", at, total, $"stopped by a signal after step {at}; `ntk run --resume` continues from the last checkpoint");
                    _observe(new RunEvent("end", at, total, _schedule.TaskOf(at), tasks, _schedule.EpochAt(at), Message: "stopped"));
                    return;
                }
                var (task, epoch, batchIndex) = _schedule.Locate(step);
                var sw = Stopwatch.StartNew();
                if (step == _schedule.StartStep[task] + 1)
                {
                    _tracker.Switch(task);
                    _strategy.BeginTask(task);
                }
                double loss = _strategy.Step(Minibatch(task, epoch, batchIndex), task);
                if (!double.IsFinite(loss))
                {
                    _run.WriteStatus("diverged", step, total, $"the training loss is {loss} at step {step} (task {task}, epoch {epoch}); lower train.lr");
                    _observe(new RunEvent("end", step, total, task, tasks, _schedule.EpochAt(step), loss, Message: "diverged"));
                    return;
                }
                _optimizer.Step();
                _stepsDone++;
                if (step == _schedule.EndStep[task]) _strategy.EndTask(task);
                _state = _state with { LossSum = _state.LossSum + loss, LossCount = _state.LossCount + 1, TrainSeconds = _state.TrainSeconds + sw.Elapsed.TotalSeconds };
                if (_schedule.IsMeasurement(step)) Measure(step);
                if (_schedule.IsEvaluation(step)) Evaluate(step);
                if (_schedule.IsCheckpoint(step)) SaveCheckpoint(step);
                _observe(new RunEvent("step", step, total, task, tasks, _schedule.EpochAt(step), loss, _lastLambda, _lastAccuracy));
            }
            WriteSummary(total);
            _run.WriteStatus("finished", total, total);
            _observe(new RunEvent("end", total, total, tasks - 1, tasks, _schedule.EpochAt(total), Message: "finished"));
        }
        catch (Exception e) when (e is not RunBusyException)
        {
            _run.WriteStatus("failed", fromStep + _stepsDone, total, e.Message.Split('\n')[0]);
            throw;
        }
    }

    // The epoch's order of the task's training samples is a function of (seed, task, epoch), so a resumed run draws the same batches.
    private Samples Minibatch(int task, int epoch, int batchIndex)
    {
        if (_order is not { } o || o.Task != task || o.Epoch != epoch)
        {
            var set = _strategy.TrainingSet(task);
            int[] order = [.. Enumerable.Range(0, set.Count)];
            new Rng(_config.Seed * 0x9E3779B97F4A7C15UL ^ ((ulong)task << 32) ^ (ulong)epoch ^ 0x5851F42D4C957F2DUL).Shuffle(order.AsSpan());
            _order = o = (task, epoch, set.Pick(order));
        }
        int b = _config.Train.BatchSize, start = batchIndex * b;
        return o.Order.Pick([.. Enumerable.Range(start, Math.Min(b, o.Order.Count - start))]);
    }

    private void Measure(int step)
    {
        var sw = Stopwatch.StartNew();
        var n = _config.Ntk;
        var options = new NtkOptions(NtkOptions.ParseKind(n.Kind), 0, (long)(n.BudgetGiB * (1L << 30)), n.Method,
            ProbeBatchStatistics: n.BatchNorm == "probe");
        var kernel = EmpiricalNtk.Compute(_experiment.Model, _experiment.Stream.Probe.Images, options);
        string? file = null;
        if (n.SaveKernels)
        {
            file = $"kernels/step_{step:D6}.npy";
            Npy.Write(_run.File(file), kernel.Values, kernel.Size, kernel.Size);
        }
        int task = _schedule.TaskOf(step);
        double? loss = _state.LossCount > 0 ? _state.LossSum / _state.LossCount : null;
        var row = _tracker.Measure(kernel, step, _schedule.EpochAt(step), task, step - _schedule.StartStep[task], loss, file, sw.Elapsed.TotalSeconds,
            step > 0 && step == _schedule.EndStep[task]);
        RunFolder.AppendLine(_run.Metrics, KernelTracker.ToJsonLine(row));
        _lastLambda = (double)row["lambda_max"]!;
        _state = _state with
        {
            LossSum = 0, LossCount = 0, NtkSeconds = _state.NtkSeconds + sw.Elapsed.TotalSeconds, NtkMeasurements = _state.NtkMeasurements + 1,
            PreviousStep = _tracker.PreviousStep, PreviousEpoch = _tracker.PreviousEpoch, SwitchTask = _tracker.SwitchTask,
        };
        _observe(new RunEvent("measure", step, _schedule.TotalSteps, task, _experiment.Stream.Tasks.Count, _schedule.EpochAt(step), loss, _lastLambda));
    }

    private void Evaluate(int step)
    {
        var sw = Stopwatch.StartNew();
        var stream = _experiment.Stream;
        int trained = _schedule.TaskOf(step);
        var accuracies = new double[stream.Tasks.Count];
        foreach (var task in stream.Tasks)
        {
            var (accuracy, loss) = Test(task);
            accuracies[task.Index] = accuracy;
            RunFolder.AppendLine(_run.Accuracy, string.Join(",", step.ToString(CultureInfo.InvariantCulture),
                _schedule.EpochAt(step).ToString("R", CultureInfo.InvariantCulture), trained, task.Index,
                accuracy.ToString("R", CultureInfo.InvariantCulture), loss.ToString("R", CultureInfo.InvariantCulture)));
        }
        _lastAccuracy = accuracies[trained];
        var matrix = _state.AccuracyMatrix;
        if (step > 0 && _schedule.IsTaskEnd(step) && matrix.Count == trained) matrix = [.. matrix, accuracies];
        _state = _state with
        {
            AccuracyMatrix = matrix, InitialAccuracy = step == 0 ? accuracies : _state.InitialAccuracy,
            EvalSeconds = _state.EvalSeconds + sw.Elapsed.TotalSeconds,
        };
        _observe(new RunEvent("eval", step, _schedule.TotalSteps, trained, stream.Tasks.Count, _schedule.EpochAt(step), Accuracy: _lastAccuracy));
    }

    // Accuracy and mean cross-entropy on one task's test set (logits masked to the task under the task-incremental head), in
    // evaluation mode as model.eval(): BatchNorm's running statistics (left as they are), no dropout.
    private (double Accuracy, double Loss) Test(StreamTask task)
    {
        var stream = _experiment.Stream;
        var model = _experiment.Model;
        var mask = stream.LogitMask(task.Index);
        int b = _config.Eval.BatchSize, correct = 0;
        double lossSum = 0;
        var mode = model.Mode;
        model.Mode = Mode.Eval;
        try
        {
            for (int start = 0; start < task.TestIndices.Length; start += b)
            {
                var idx = task.TestIndices[start..Math.Min(start + b, task.TestIndices.Length)];
                var batch = stream.Batch(Split.Test, idx, task.Index);
                var logits = model.Forward(batch.Images);
                lossSum += Losses.CrossEntropy(logits, batch.Labels, new Tensor(logits.Shape), mask) * idx.Length;
                var predicted = Losses.ArgMax(logits, mask);
                for (int i = 0; i < idx.Length; i++) if (predicted[i] == batch.Labels[i]) correct++;
            }
        }
        finally
        {
            model.Mode = mode;
        }
        int n = Math.Max(1, task.TestIndices.Length);
        return ((double)correct / n, lossSum / n);
    }

    private void SaveCheckpoint(int step)
    {
        _state = _state with { Step = step };
        Checkpoint.Save(_run, _experiment.Model, _optimizer, _tracker, _strategy, _state, _config.Checkpoint.Keep);
    }

    private void WriteSummary(int steps)
    {
        var r = _state.AccuracyMatrix.ToArray();
        double? F(double v) => double.IsFinite(v) ? v : null;
        AtomicFile.WriteText(_run.Summary, JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["accuracy_matrix"] = r,
            ["average_accuracy"] = r.Length > 0 ? ContinualMetrics.AverageAccuracy(r) : null,
            ["forgetting"] = r.Length > 0 ? F(ContinualMetrics.Forgetting(r)) : null,
            ["backward_transfer"] = r.Length > 0 ? F(ContinualMetrics.BackwardTransfer(r)) : null,
            ["initial_accuracy"] = _state.InitialAccuracy,
            ["forward_transfer"] = r.Length > 0 && _state.InitialAccuracy is { } b ? F(ContinualMetrics.ForwardTransfer(r, b)) : null,
            ["steps"] = steps, ["train_seconds"] = Math.Round(_state.TrainSeconds, 3), ["ntk_seconds"] = Math.Round(_state.NtkSeconds, 3),
            ["eval_seconds"] = Math.Round(_state.EvalSeconds, 3), ["ntk_measurements"] = _state.NtkMeasurements,
        }, Json.Indented));
    }
}
