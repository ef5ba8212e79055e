using System.Globalization;
using NtkDynamics.Analysis;
using NtkDynamics.Experiments;

namespace NtkDynamics.Reporting;

/// <summary>Pieces the run and sweep reports share.</summary>
internal static class ReportParts
{
    /// <summary>An analysis table in the report: NaN cells show as a dash, other doubles with four significant digits.</summary>
    public static HtmlReport AnalysisTable(this HtmlReport r, Table t, string? caption = null) =>
        r.Table(t.Header, t.Rows.Select(row => (IReadOnlyList<object?>)[.. row.Select(c => c is double d ? double.IsNaN(d) ? null : (object)Table.Number(d) : c)]), caption);

    /// <summary>The figure with this name, with its caption, when the set has it.</summary>
    public static HtmlReport FigureIfAny(this HtmlReport r, FigureSet set, string name) =>
        set.Find(name) is { } f ? r.Figure(f.Figure, f.Caption) : r;

    /// <summary>The headline quantities' definitions and the options they were computed with.</summary>
    public static HtmlReport Definitions(this HtmlReport r, SwitchOptions o)
    {
        r.Paragraph($"Switch step s = the new task's start step; the window is the measurements in (s, s + {(o.WindowSteps is int w ? w.ToString(CultureInfo.InvariantCulture) : "the new task's length")}] "
            + $"(clipped at the new task's end); the late part of the previous task is its last {o.LateFraction:P0} of steps. Steps are counted from s. "
            + "analysis.json holds every quantity with its definition.");
        return r.KeyValues(SwitchQuantity.Headlines.Select(q => new KeyValuePair<string, string>(q.Header, q.Definition)), "Definitions");
    }

    /// <summary>"finished at step 400 of 400", "diverged at step 120 of 400 (loss is NaN)", or "state unknown".</summary>
    public static string State(RunData run) => run.Status is { } st
        ? $"{st.State} at step {st.Step} of {st.TotalSteps}{(st.Reason is string why ? $" ({why})" : "")}"
        : $"state unknown (no status.json), last measurement at step {run.Measurements[^1].Step}";
}
