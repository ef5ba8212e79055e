using System.CommandLine;
using NtkDynamics.Analysis;

namespace NtkDynamics.Cli;

/// <summary>`ntk analyze PATH`: the task-switch analysis of a run or a sweep, written to analysis.json and printed as tables.</summary>
internal static class AnalyzeCommand
{
    public static Command Create()
    {
        var path = new Argument<string>("path") { Description = "a run folder (with metrics.jsonl) or a sweep folder (with cells.json)" };
        var (late, window) = SwitchOptionFlags();
        var cmd = new Command("analyze", "Task-switch analysis of a run or a sweep: writes analysis.json and prints the table") { path, late, window };
        cmd.SetAction(r =>
        {
            AnalysisOutput output = FolderAnalysis.Analyze(r.GetValue(path)!, new SwitchOptions(r.GetValue(late), r.GetValue(window)));
            foreach (var (title, table) in output.Tables)
            {
                Console.WriteLine(title);
                Console.WriteLine(table.ToText());
            }
            foreach (string note in output.Notes) Console.WriteLine($"note: {note}");
            Console.WriteLine($"wrote {output.JsonPath}");
            return 0;
        });
        return cmd;
    }

    /// <summary>--late-fraction and --window, shared with `ntk report`.</summary>
    internal static (Option<double> Late, Option<int?> Window) SwitchOptionFlags() => (
        new Option<double>("--late-fraction")
        {
            Description = "the late part of the previous task (fraction of its steps) whose median velocity is the baseline",
            DefaultValueFactory = _ => 0.5,
        },
        new Option<int?>("--window") { Description = "steps after a switch in which the peak velocity and the λmax minimum are taken (default: the whole new task)" });
}
