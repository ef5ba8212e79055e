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
        RunFigures.Build(RunData.Load(run)).Save(Path.Combine(run, "figures"));
        string sweep = SyntheticRun.WriteSweep(Path.Combine(root, "sweep"), [16, 32, 64, 128, 256], 3);
        SweepFigures.Build(SweepAnalysis.Analyze(SweepData.Load(sweep))).Save(Path.Combine(sweep, "figures"));
    }
}
