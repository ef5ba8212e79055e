using NtkDynamics.Analysis;
using NtkDynamics.Experiments;
using ScottPlot;

namespace NtkDynamics.Reporting;

/// <summary>One of the paper's time-series panels: what it shows from each measurement, its labels and y scale.</summary>
internal sealed record PaperMetric(string Name, string Title, string YLabel, bool LogY, Func<Measurement, TimeAxis, double> Value)
{
    /// <summary>λmax, kernel distance from init, velocity, alignment and training loss, in the order the overview shows them.</summary>
    public static IReadOnlyList<PaperMetric> All { get; } =
    [
        new("lambda_max", "Largest eigenvalue λmax", "λmax", true, (m, _) => m.LambdaMax),
        new("kernel_distance", "Kernel distance from initialisation", "S(Θ₀, Θₜ)", false, (m, _) => m.KernelDistanceInit),
        new("velocity", "Kernel velocity", "v(t)", true, (m, t) => t == TimeAxis.Epochs ? m.VelocityEpoch : m.Velocity),
        new("alignment", "Kernel-label alignment", "A(t) = CKA(Θₜ, YYᵀ)", false, (m, _) => m.Alignment),
        new("loss", "Training loss", "loss", false, (m, _) => m.Loss),
    ];

    public static PaperMetric Get(string name) => All.Single(m => m.Name == name);

    /// <summary>The y label, with the unit of velocity.</summary>
    public string YLabelFor(TimeAxis time) => Name == "velocity" ? $"v(t) per {Time.Unit(time)}" : YLabel;
}

/// <summary>Positions along the time axis: of measurements, evaluations and task switches.</summary>
internal static class Time
{
    public static string Unit(TimeAxis t) => t == TimeAxis.Epochs ? "epoch" : "step";

    public static double Of(Measurement m, TimeAxis t) => t == TimeAxis.Epochs ? m.Epoch : m.Step;

    public static double Of(Evaluation e, TimeAxis t) => t == TimeAxis.Epochs ? e.Epoch : e.Step;

    /// <summary>Where each task k = 1, 2, ... starts: its start step, or the epochs of all earlier tasks.</summary>
    public static IReadOnlyList<double> Switches(RunData run, TimeAxis t)
    {
        var at = new List<double>();
        double epochs = 0;
        for (int k = 0; k + 1 < run.Tasks.Count; k++)
        {
            TaskInfo task = run.Tasks[k];
            epochs += task.StepsPerEpoch > 0 ? (task.EndStep - task.StartStep) / task.StepsPerEpoch : double.NaN;
            at.Add(t == TimeAxis.Epochs ? epochs : run.Tasks[k + 1].StartStep);
        }
        return at;
    }

    /// <summary>Dashed vertical lines labelled "T2", "T3", ... where each task starts.</summary>
    public static void MarkSwitches(Plot p, RunData run, TimeAxis t)
    {
        IReadOnlyList<double> at = Switches(run, t);
        for (int k = 0; k < at.Count; k++) p.Switch(at[k], $"T{k + 2}");
    }
}
