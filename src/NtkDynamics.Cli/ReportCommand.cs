using System.CommandLine;
using System.Globalization;
using NtkDynamics.Analysis;
using NtkDynamics.Reporting;

namespace NtkDynamics.Cli;

/// <summary>`ntk report PATH`: figures/*.svg and *.png, analysis.json and one self-contained report.html for a run or a sweep.</summary>
internal static class ReportCommand
{
    public static Command Create()
    {
        var path = new Argument<string>("path") { Description = "a run folder (with metrics.jsonl) or a sweep folder (with cells.json)" };
        var (late, window) = AnalyzeCommand.SwitchOptionFlags();
        var epochs = new Option<bool>("--epochs") { Description = "put epochs instead of steps on the x axis" };
        var kernels = new Option<int>("--heatmap-kernels") { Description = "at most this many saved kernels (taken evenly) in the kernel-distance heatmap", DefaultValueFactory = _ => 80 };
        var spectrum = new Option<string?>("--spectrum-steps") { Description = "comma-separated steps whose eigenvalue spectrum is drawn (default: start, each switch, end)" };
        var cmd = new Command("report", "Write the figures and one self-contained report.html for a run or a sweep") { path, late, window, epochs, kernels, spectrum };
        cmd.SetAction(r =>
        {
            var figures = new FigureOptions(r.GetValue(epochs) ? TimeAxis.Epochs : TimeAxis.Steps, r.GetValue(kernels), Steps(r.GetValue(spectrum)));
            ReportOutput output = Reports.Write(r.GetValue(path)!, new SwitchOptions(r.GetValue(late), r.GetValue(window)), figures);
            Console.WriteLine($"figures   {output.Figures.Count} in {Path.GetDirectoryName(output.Figures[0].SvgPath)} (SVG + PNG)");
            Console.WriteLine($"analysis  {output.AnalysisPath}");
            Console.WriteLine($"report    {output.ReportPath}");
            foreach (string note in output.Notes) Console.WriteLine($"note: {note}");
            return 0;
        });
        return cmd;
    }

    private static int[]? Steps(string? text) => text is null ? null
        : [.. text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(s =>
            int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v >= 0 ? v
                : throw new InputException($"--spectrum-steps: '{s}' is not a step (a non-negative integer)"))];
}
