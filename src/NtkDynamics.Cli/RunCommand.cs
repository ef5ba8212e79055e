using System.CommandLine;
using NtkDynamics.Experiments;

namespace NtkDynamics.Cli;

/// <summary>`ntk run [experiment.yaml]`, `ntk run --resume runs/NAME` and `ntk demo`.</summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var config = new Argument<string?>("config") { Description = "experiment file (YAML or JSON); none runs the demo", Arity = ArgumentArity.ZeroOrOne };
        var resume = new Option<string?>("--resume") { Description = "continue the run in this folder from its last checkpoint" };
        var force = new Option<bool>("--force") { Description = "delete an existing run folder of the same name and start over" };
        var output = new Option<string?>("--output") { Description = "the parent folder of the run (overrides the config's output)" };
        var maxSteps = new Option<int?>("--max-steps") { Description = "stop after this many steps (overrides train.max_steps; for smoke tests)" };
        var quiet = new Option<bool>("--quiet") { Description = "no progress output, only the summary" };
        var cmd = new Command("run", "Train task after task, tracking the probe eNTK, into a run folder") { config, resume, force, output, maxSteps, quiet };
        cmd.SetAction(r =>
        {
            var progress = new ProgressView(r.GetValue(quiet));
            RunFolder run;
            if (r.GetValue(resume) is { } folder)
                run = progress.Show(observe => Runner.Resume(folder, observe, StopSignal.Token()));
            else
            {
                var cfg = r.GetValue(config) is { } path ? ExperimentConfig.Load(path) : ExperimentConfig.Demo();
                cfg = Override(cfg, r.GetValue(output), r.GetValue(maxSteps));
                run = progress.Show(observe => Runner.Start(cfg, overwrite: r.GetValue(force), observe: observe, stop: StopSignal.Token()));
            }
            return RunSummary.Print(run);
        });
        return cmd;
    }

    public static Command Demo()
    {
        var quiet = new Option<bool>("--quiet") { Description = "no progress output, only the summary" };
        var output = new Option<string?>("--output") { Description = "the parent folder of the run (default runs/)" };
        var cmd = new Command("demo", "Run the demo experiment on the embedded data (2 tasks x 5 classes, CNN width 32) into runs/demo") { quiet, output };
        cmd.SetAction(r =>
        {
            var cfg = Override(ExperimentConfig.Demo(), r.GetValue(output), null);
            var run = new ProgressView(r.GetValue(quiet)).Show(observe => Runner.Start(cfg, overwrite: true, observe: observe, stop: StopSignal.Token()));
            return RunSummary.Print(run);
        });
        return cmd;
    }

    private static ExperimentConfig Override(ExperimentConfig cfg, string? output, int? maxSteps) => cfg with
    {
        Output = output ?? cfg.Output,
        Train = maxSteps is int m ? cfg.Train with { MaxSteps = m } : cfg.Train,
    };
}
