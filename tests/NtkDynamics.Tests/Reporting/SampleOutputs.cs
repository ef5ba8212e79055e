using NtkDynamics.Analysis;
using NtkDynamics.Reporting;
using NtkDynamics.Tests.Analysis;

namespace NtkDynamics.Tests.Reporting;

/// <summary>
/// Writes a synthetic run and sweep with their figures and reports into $NTK_SAMPLES, to look at
/// (`NTK_SAMPLES=/tmp/ntk-samples dotnet test --filter SampleOutputs`); does nothing when the variable is unset.
/// </summary>
public class SampleOutputs
{
    [Fact]
    public void WriteSamplesWhenAsked()
    {
        string? root = Environment.GetEnvironmentVariable("NTK_SAMPLES");
        if (string.IsNullOrEmpty(root)) return;
        string run = SyntheticRun.Create(64, 0).Write(Path.Combine(root, "run"));
        Reports.Write(run);
        Reports.Write(SyntheticRun.Create(16, 5, tasks: 4, stepsPerTask: 800).Write(Path.Combine(root, "long-run")), figures: new FigureOptions(TimeAxis.Epochs));
        Reports.Write(SyntheticRun.Create(16, 3, tasks: 2, kernels: false).Write(Path.Combine(root, "no-kernels")));
        string sweep = SyntheticRun.WriteSweep(Path.Combine(root, "sweep"), [16, 32, 64, 128, 256], 3);
        Reports.Write(sweep);
    }
}
