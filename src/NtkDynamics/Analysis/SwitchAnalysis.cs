using NtkDynamics.Experiments;

namespace NtkDynamics.Analysis;

/// <summary>Parameters of the task-switch analysis.</summary>
/// <param name="LateFraction">The late part of the previous task, as a fraction of its steps, over which the baseline velocity's median is taken (0, 1].</param>
/// <param name="WindowSteps">The window after a switch: measurements with step in (s, s + WindowSteps], clipped at the new
/// task's end; null = the whole new task.</param>
public sealed record SwitchOptions(double LateFraction = 0.5, int? WindowSteps = null)
{
    /// <summary>Throws an <see cref="InputException"/> for a late fraction outside (0, 1] or a window below one step.</summary>
    public SwitchOptions Validated()
    {
        if (!(LateFraction > 0 && LateFraction <= 1)) throw new InputException($"late fraction: must be in (0, 1], got {LateFraction}");
        if (WindowSteps is < 1) throw new InputException($"window: must be at least 1 step, got {WindowSteps}");
        return this;
    }
}

/// <summary>The task-switch analysis of one run: one <see cref="SwitchResult"/> per switch the run has measured past.</summary>
public static class SwitchAnalysis
{
    /// <summary>Every switch k = 1 .. tasks-1 with at least one measurement after its step, in order.</summary>
    public static IReadOnlyList<SwitchResult> Analyze(RunData run, SwitchOptions? options = null)
    {
        options = (options ?? new SwitchOptions()).Validated();
        var results = new List<SwitchResult>();
        for (int k = 1; k < run.Tasks.Count; k++)
            if (run.Measurements[^1].Step > run.Tasks[k].StartStep)
                results.Add(AnalyzeSwitch(run, k, options));
        return results;
    }

    private static SwitchResult AnalyzeSwitch(RunData run, int k, SwitchOptions o)
    {
        TaskInfo oldTask = run.Tasks[k - 1], newTask = run.Tasks[k];
        int s = newTask.StartStep, end = newTask.EndStep;
        int windowEnd = o.WindowSteps is int w ? (int)Math.Min((long)s + w, end) : end;
        IReadOnlyList<Measurement> ms = run.Measurements;
        Measurement? pre = ms.LastOrDefault(m => m.Step <= s);
        List<Measurement> window = [.. ms.Where(m => m.Step > s && m.Step <= windowEnd)];
        Measurement? first = window.FirstOrDefault();

        Measurement? peak = window.Where(m => double.IsFinite(m.Velocity)).MaxBy(m => m.Velocity);
        double baseline = Baseline(ms, oldTask.StartStep, s, o.LateFraction);
        double peakV = peak?.Velocity ?? double.NaN;

        double lambdaPre = pre?.LambdaMax ?? double.NaN;
        Measurement? low = window.Where(m => double.IsFinite(m.LambdaMax)).MinBy(m => m.LambdaMax);
        double lambdaMin = low?.LambdaMax ?? double.NaN;
        int? recovery = null;
        if (low is not null && double.IsFinite(lambdaPre))
            recovery = lambdaMin >= lambdaPre ? 0
                : ms.FirstOrDefault(m => m.Step > low.Step && m.Step <= end && m.LambdaMax >= lambdaPre) is { } back ? back.Step - s : null;

        double kdBefore = pre?.KernelDistanceInit ?? double.NaN, kdAfter = first?.KernelDistanceInit ?? double.NaN;
        double alignBefore = pre?.Alignment ?? double.NaN, alignEnd = window.Count > 0 ? window[^1].Alignment : double.NaN;

        List<Evaluation> old = [.. run.Evaluations.Where(e => e.EvalTask == k - 1)];
        double accBefore = old.LastOrDefault(e => e.Step <= s)?.Accuracy ?? double.NaN;
        List<double> during = [.. old.Where(e => e.Step > s && e.Step <= end).Select(e => e.Accuracy).Where(double.IsFinite)];
        double accEnd = during.Count > 0 ? during[^1] : double.NaN, accMin = during.Count > 0 ? during.Min() : double.NaN;
        double Drift(Measurement? m) => m is not null && m.OldTaskDrift.TryGetValue(k - 1, out double d) ? d : double.NaN;

        return new SwitchResult
        {
            Switch = k, FromTask = k - 1, ToTask = k, SwitchStep = s, WindowEndStep = windowEnd, TaskEndStep = end,
            Similarity = newTask.Similarity,
            VelocityPeak = peakV, VelocityPeakSteps = peak?.Step - s, VelocityBaseline = baseline, VelocityRatio = Ratio(peakV, baseline),
            LambdaPre = lambdaPre, LambdaMin = lambdaMin, LambdaMinSteps = low?.Step - s,
            LambdaDrop = Ratio(lambdaPre - lambdaMin, lambdaPre), LambdaRecoverySteps = recovery,
            KernelDistanceInitBefore = kdBefore, KernelDistanceInitAfter = kdAfter, KernelDistanceJump = kdAfter - kdBefore,
            KernelDistanceAcross = first?.KernelDistancePrev ?? double.NaN,
            AlignmentBefore = alignBefore, AlignmentEnd = alignEnd, AlignmentChange = alignEnd - alignBefore,
            AccuracyOldBefore = accBefore, AccuracyOldEnd = accEnd, AccuracyDrop = accBefore - accEnd,
            AccuracyOldMin = accMin, AccuracyDropMax = accBefore - accMin,
            OldTaskDriftFirst = Drift(first), OldTaskDrift = Drift(window.LastOrDefault()),
        };
    }

    /// <summary>Median velocity over the measurements with step in (s - f·(s - start), s] (at least the last one in (start, s]).</summary>
    private static double Baseline(IReadOnlyList<Measurement> ms, int start, int s, double fraction)
    {
        List<Measurement> task = [.. ms.Where(m => m.Step > start && m.Step <= s && double.IsFinite(m.Velocity))];
        if (task.Count == 0) return double.NaN;
        double from = s - fraction * (s - start);
        List<double> late = [.. task.Where(m => m.Step > from).Select(m => m.Velocity)];
        return Statistics.Median(late.Count > 0 ? late : [task[^1].Velocity]);
    }

    /// <summary>a / b, NaN when b is zero or either is not finite.</summary>
    private static double Ratio(double a, double b) => b != 0 && double.IsFinite(a) && double.IsFinite(b) ? a / b : double.NaN;
}
