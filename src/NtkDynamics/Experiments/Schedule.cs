namespace NtkDynamics.Experiments;

/// <summary>
/// Where every optimiser step falls: task t trains on steps StartStep[t]+1 .. EndStep[t], epoch by epoch, batch by batch.
/// Step 0 is before any training. The schedule is a pure function of the config and the task sizes, so a resumed run
/// finds its place from the step number alone.
/// </summary>
public sealed class Schedule
{
    public int[] StepsPerEpoch { get; }
    public int[] StartStep { get; }
    public int[] EndStep { get; }
    public int EpochsPerTask { get; }
    public int TotalSteps { get; }
    private readonly NtkConfig _ntk;
    private readonly EvalConfig _eval;
    private readonly CheckpointConfig _checkpoint;

    public Schedule(IReadOnlyList<int> trainSizes, ExperimentConfig config)
    {
        int tasks = trainSizes.Count, batch = config.Train.BatchSize;
        EpochsPerTask = config.Train.EpochsPerTask;
        StepsPerEpoch = trainSizes.Select(n => (n + batch - 1) / batch).ToArray();
        StartStep = new int[tasks]; EndStep = new int[tasks];
        int step = 0;
        for (int t = 0; t < tasks; t++)
        {
            StartStep[t] = step;
            step += StepsPerEpoch[t] * EpochsPerTask;
            EndStep[t] = step;
        }
        TotalSteps = Math.Min(step, config.Train.MaxSteps ?? int.MaxValue);
        _ntk = config.Ntk; _eval = config.Eval; _checkpoint = config.Checkpoint;
    }

    /// <summary>The task, epoch within the task and batch within the epoch of step <paramref name="step"/> (1-based).</summary>
    public (int Task, int Epoch, int Batch) Locate(int step)
    {
        int t = TaskOf(step);
        int within = step - StartStep[t] - 1;
        return (t, within / StepsPerEpoch[t], within % StepsPerEpoch[t]);
    }

    /// <summary>The task being trained at <paramref name="step"/> (0 for step 0).</summary>
    public int TaskOf(int step)
    {
        for (int t = 0; t < EndStep.Length; t++)
            if (step <= EndStep[t]) return t;
        return EndStep.Length - 1;
    }

    /// <summary>Epochs done after <paramref name="step"/>, fractional, over the whole run.</summary>
    public double EpochAt(int step)
    {
        if (step == 0) return 0;
        int t = TaskOf(step);
        return t * EpochsPerTask + (double)(step - StartStep[t]) / StepsPerEpoch[t];
    }

    public bool IsTaskEnd(int step) => EndStep.Contains(step) || step == TotalSteps;

    /// <summary>Measure the eNTK: at step 0, every `ntk.every` steps, every `ntk.dense_every` steps within `ntk.dense_window` after a switch, and at each task's end.</summary>
    public bool IsMeasurement(int step)
    {
        if (step == 0 || step % _ntk.Every == 0 || IsTaskEnd(step)) return true;
        int t = TaskOf(step), since = step - StartStep[t];
        return t > 0 && since <= _ntk.DenseWindow && since % _ntk.DenseEvery == 0;
    }

    /// <summary>Evaluate every task's test set: at step 0, every `eval.every_steps` steps or every `eval.every_epochs` epochs, and at each task's end.</summary>
    public bool IsEvaluation(int step)
    {
        if (step == 0 || IsTaskEnd(step)) return true;
        if (_eval.EverySteps is int every) return step % every == 0;
        int t = TaskOf(step), since = step - StartStep[t];
        return since % StepsPerEpoch[t] == 0 && since / StepsPerEpoch[t] % _eval.EveryEpochs == 0;
    }

    /// <summary>Checkpoint every `checkpoint.every_steps` steps and at every task switch.</summary>
    public bool IsCheckpoint(int step) => step > 0 && (step % _checkpoint.EverySteps == 0 || IsTaskEnd(step));
}
