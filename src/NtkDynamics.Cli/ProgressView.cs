using System.Diagnostics;
using NtkDynamics.Experiments;
using Spectre.Console;

namespace NtkDynamics.Cli;

/// <summary>
/// Shows a run's progress: a live bar (task, epoch, step, ETA, loss, last λmax and accuracy) on a terminal, plain
/// lines every few seconds when the output is redirected, nothing when quiet.
/// </summary>
internal sealed class ProgressView(bool quiet)
{
    private double? _loss, _lambda, _accuracy;

    public T Show<T>(Func<Action<RunEvent>, T> work)
    {
        if (quiet) return work(_ => { });
        if (!Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive)
            return Live(work);
        var clock = Stopwatch.StartNew();
        double last = -10;
        return work(e =>
        {
            if (e.Kind == "message") { Console.WriteLine($"  {e.Message}"); return; }
            Remember(e);
            bool due = clock.Elapsed.TotalSeconds - last >= 5 || e.Kind is "start" or "end";
            if (!due) return;
            last = clock.Elapsed.TotalSeconds;
            Console.WriteLine($"[{clock.Elapsed:mm\\:ss}] {Describe(e)}");
        });
    }

    private T Live<T>(Func<Action<RunEvent>, T> work)
    {
        T result = default!;
        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var bar = ctx.AddTask("starting", maxValue: 1);
                result = work(e =>
                {
                    if (e.Kind == "message") { AnsiConsole.MarkupLine($"  [grey]{Markup.Escape(e.Message ?? "")}[/]"); return; }
                    Remember(e);
                    if (e.TotalSteps > 0) { bar.MaxValue = e.TotalSteps; bar.Value = e.Step; }
                    bar.Description = Markup.Escape(Describe(e));
                });
                bar.StopTask();
            });
        return result;
    }

    // Events carry what they measured; the line shows the latest of each.
    private void Remember(RunEvent e)
    {
        if (e.Kind == "step") _loss = e.Loss;
        if (e.Kind == "measure") _lambda = e.LambdaMax;
        if (e.Kind == "eval") _accuracy = e.Accuracy;
    }

    private string Describe(RunEvent e)
    {
        string Num(double? v, string f) => v is double d && double.IsFinite(d) ? d.ToString(f) : "-";
        return $"task {e.Task + 1}/{Math.Max(1, e.Tasks)}  epoch {e.Epoch:F2}  step {e.Step}/{e.TotalSteps}  loss {Num(_loss, "F4")}  " +
               $"λmax {Num(_lambda, "G4")}  acc {Num(_accuracy, "P1")}{(e.Kind == "end" ? $"  {e.Message}" : "")}";
    }
}
