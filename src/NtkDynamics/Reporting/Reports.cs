using NtkDynamics.Analysis;
using NtkDynamics.Experiments;

namespace NtkDynamics.Reporting;

/// <summary>What `ntk report` wrote.</summary>
/// <param name="ReportPath">report.html.</param>
/// <param name="AnalysisPath">analysis.json (written too, since the report shows it).</param>
/// <param name="Figures">Every figure saved under figures/.</param>
/// <param name="Notes">What was skipped and why.</param>
public sealed record ReportOutput(string ReportPath, string AnalysisPath, IReadOnlyList<SavedFigure> Figures, IReadOnlyList<string> Notes);

/// <summary>`ntk report`: for a run or a sweep folder, analysis.json, figures/*.svg and *.png and one self-contained report.html.</summary>
public static class Reports
{
    public const string FileName = "report.html", FiguresFolder = "figures";

    public static ReportOutput Write(string folder, SwitchOptions? switches = null, FigureOptions? figures = null)
    {
        switches = (switches ?? new SwitchOptions()).Validated();
        figures ??= new FigureOptions();
        FigureSet set;
        HtmlReport page;
        string analysis;
        if (FolderAnalysis.IsSweep(folder))
        {
            SweepData sweep = SweepData.Load(folder);
            SweepResult s = SweepAnalysis.Analyze(sweep, switches);
            analysis = AnalysisJson.WriteSweep(s);
            set = SweepFigures.Build(s, figures);
            page = SweepReport.Build(sweep, s, set);
        }
        else
        {
            RunData run = RunData.Load(folder);
            IReadOnlyList<SwitchResult> results = SwitchAnalysis.Analyze(run, switches);
            analysis = AnalysisJson.WriteRun(run, results, switches);
            set = RunFigures.Build(run, figures);
            page = RunReport.Build(run, results, switches, set);
        }
        IReadOnlyList<SavedFigure> saved = set.Save(Path.Combine(folder, FiguresFolder));
        string path = Path.Combine(folder, FileName);
        page.Save(path);
        return new ReportOutput(path, analysis, saved, set.Notes);
    }
}
