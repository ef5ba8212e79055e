using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace NtkDynamics.Reporting;

/// <summary>
/// Builds one self-contained HTML page (inline CSS and SVG, nothing fetched): a title, then sections with headings
/// holding paragraphs, key-value tables, tables, figures and preformatted text, in the order added. Two or more
/// sections get a table of contents.
/// <code>
/// var r = new HtmlReport("Run 3", "cnn, width 64, 5 tasks");
/// r.Section("Configuration").KeyValues(config);
/// r.Section("Kernel").Figure(fig, "Kernel distance from init; dashed lines are task switches.");
/// r.Table(["task", "accuracy"], rows, numberFormat: "0.000");
/// r.Save("runs/3/report.html");
/// </code>
/// </summary>
public sealed class HtmlReport(string title, string? subtitle = null)
{
    private readonly StringBuilder _body = new();
    private readonly List<string> _sections = [];
    private int _figures;

    /// <summary>Starts a new section with an h2 heading.</summary>
    public HtmlReport Section(string heading)
    {
        _sections.Add(heading);
        _body.Append($"<h2 id=\"s{_sections.Count}\">{E(heading)}</h2>\n");
        return this;
    }

    /// <summary>A smaller heading (h3) inside the current section.</summary>
    public HtmlReport Subsection(string heading) => Append($"<h3>{E(heading)}</h3>");

    public HtmlReport Paragraph(string text) => Append($"<p>{E(text)}</p>");

    /// <summary>A two-column table of names and values (e.g. the configuration).</summary>
    public HtmlReport KeyValues(IEnumerable<KeyValuePair<string, string>> pairs, string? caption = null) =>
        Append("<table class=\"kv\">" + Caption(caption) + "<tbody>\n"
            + string.Concat(pairs.Select(p => $"<tr><th>{E(p.Key)}</th><td>{E(p.Value)}</td></tr>\n")) + "</tbody></table>");

    /// <summary>
    /// A table. Cells are strings (as written), integers, or floating-point numbers written with numberFormat
    /// (default: up to 4 decimals, scientific outside [1e-3, 1e6)); numeric cells are right-aligned, NaN shows as "NaN",
    /// null as a grey dash (nothing to show).
    /// </summary>
    public HtmlReport Table(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<object?>> rows, string? caption = null, string? numberFormat = null)
    {
        List<IReadOnlyList<object?>> all = [.. rows];
        if (all.FirstOrDefault(r => r.Count != header.Count) is { } bad)
            throw new ArgumentException($"table row has {bad.Count} cells, the header {header.Count}", nameof(rows));
        bool[] numeric = [.. header.Select((_, j) => all.Count > 0 && all.All(r => r[j] is null || IsNumber(r[j])))];
        var sb = new StringBuilder("<div class=\"table-wrap\"><table>").Append(Caption(caption)).Append("<thead><tr>");
        for (int j = 0; j < header.Count; j++) sb.Append(numeric[j] ? "<th class=\"num\">" : "<th>").Append(E(header[j])).Append("</th>");
        sb.Append("</tr></thead>\n<tbody>\n");
        foreach (IReadOnlyList<object?> row in all)
        {
            sb.Append("<tr>");
            foreach (object? cell in row)
                sb.Append(cell switch
                {
                    double or float or decimal => $"<td class=\"num\">{E(Number(Convert.ToDouble(cell, CultureInfo.InvariantCulture), numberFormat))}</td>",
                    _ when IsNumber(cell) => $"<td class=\"num\">{E(Convert.ToString(cell, CultureInfo.InvariantCulture)!)}</td>",
                    null => "<td class=\"missing\">—</td>",
                    _ => $"<td>{E(cell.ToString() ?? "")}</td>",
                });
            sb.Append("</tr>\n");
        }
        return Append(sb.Append("</tbody></table></div>").ToString());
    }

    /// <summary>A figure, inlined as SVG, with an optional caption below.</summary>
    public HtmlReport Figure(Chart figure, string? caption = null) => Svg(figure.ToSvg(), caption);

    /// <summary>
    /// An SVG document inlined as a figure (an XML declaration, if any, is dropped). Its ids (clip paths) get a prefix of
    /// their own, so that figures on one page cannot pick up each other's.
    /// </summary>
    public HtmlReport Svg(string svg, string? caption = null)
    {
        int start = svg.IndexOf("<svg", StringComparison.Ordinal);
        if (start < 0) throw new ArgumentException("not an SVG document: no <svg element", nameof(svg));
        string prefix = $"f{++_figures}-";
        string inline = Ids.Replace(svg[start..].Trim(), m => m.Groups[1].Value + prefix);
        return Append("<figure>" + inline + (caption != null ? $"\n<figcaption>{E(caption)}</figcaption>" : "") + "</figure>");
    }

    /// <summary>Where an SVG defines or refers to an id: id="x", url(#x), href="#x".</summary>
    private static readonly Regex Ids = new("""(\bid="|url\(#|href="#)""", RegexOptions.Compiled);

    /// <summary>Text shown as is, in a monospace block (logs, command lines, YAML).</summary>
    public HtmlReport Preformatted(string text, string? caption = null) =>
        Append((caption != null ? $"<p class=\"pre-caption\">{E(caption)}</p>\n" : "") + $"<pre>{E(text)}</pre>");

    public string ToHtml()
    {
        var sb = new StringBuilder("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
            .Append($"<title>{E(title)}</title>\n<style>{Css}</style>\n</head>\n<body>\n<main>\n<header>\n<h1>{E(title)}</h1>\n");
        if (subtitle != null) sb.Append($"<p class=\"subtitle\">{E(subtitle)}</p>\n");
        sb.Append("</header>\n");
        if (_sections.Count >= 2)
            sb.Append("<nav class=\"toc\"><ol>").Append(string.Concat(_sections.Select((s, i) => $"<li><a href=\"#s{i + 1}\">{E(s)}</a></li>"))).Append("</ol></nav>\n");
        return sb.Append(_body).Append("</main>\n</body>\n</html>\n").ToString();
    }

    /// <summary>Writes the page atomically (parent folders created).</summary>
    public void Save(string path) => Formats.AtomicFile.WriteText(path, ToHtml());

    private HtmlReport Append(string html)
    {
        _body.Append(html).Append('\n');
        return this;
    }

    private static string E(string s) => WebUtility.HtmlEncode(s);

    private static bool IsNumber(object? v) => v is double or float or decimal or int or long or short or byte or uint or ulong;

    private static string Caption(string? caption) => caption != null ? $"<caption>{E(caption)}</caption>" : "";

    private static string Number(double v, string? format)
    {
        if (double.IsNaN(v)) return "NaN";
        if (format != null) return v.ToString(format, CultureInfo.InvariantCulture);
        double a = Math.Abs(v);
        return (a == 0 || (a >= 1e-3 && a < 1e6) ? v.ToString("0.####", CultureInfo.InvariantCulture) : v.ToString("0.###e+0", CultureInfo.InvariantCulture)).Replace('-', '−');
    }

    private const string Css = """

        :root { color-scheme: light; }
        body { margin: 0; background: #f4f5f7; color: #1f2328; line-height: 1.55;
               font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "DejaVu Sans", sans-serif; }
        main { max-width: 1040px; margin: 0 auto; padding: 36px 48px 72px; background: #ffffff;
               box-shadow: 0 0 0 1px #e4e6ea, 0 4px 24px rgba(0, 0, 0, 0.05); min-height: 100vh; }
        header { border-bottom: 3px solid #2a788e; padding-bottom: 12px; margin-bottom: 8px; }
        h1 { font-size: 1.9rem; margin: 0; letter-spacing: -0.01em; }
        .subtitle { color: #59636e; margin: 4px 0 0; }
        h2 { font-size: 1.35rem; margin: 2.2em 0 0.6em; padding-bottom: 0.25em; border-bottom: 1px solid #e4e6ea; }
        h3 { font-size: 1.1rem; margin: 1.6em 0 0.5em; color: #333a41; }
        p { margin: 0.6em 0; max-width: 78ch; }
        nav.toc { background: #f6f8fa; border: 1px solid #e4e6ea; border-radius: 6px; padding: 10px 18px; margin: 18px 0; display: inline-block; }
        nav.toc ol { margin: 0; padding-left: 1.3em; }
        nav.toc a { color: #1f5f8b; text-decoration: none; }
        nav.toc a:hover { text-decoration: underline; }
        .table-wrap { overflow-x: auto; }
        .table-wrap td { white-space: nowrap; }
        table { border-collapse: collapse; margin: 1em 0; font-size: 0.92rem; }
        caption { caption-side: top; text-align: left; color: #59636e; font-size: 0.9rem; padding-bottom: 6px; }
        th, td { padding: 6px 14px; border-bottom: 1px solid #eaecef; text-align: left; vertical-align: top; }
        thead th { background: #f3f5f7; border-bottom: 2px solid #d5d9de; font-weight: 600; white-space: nowrap; }
        tbody tr:nth-child(even) { background: #fafbfc; }
        tbody tr:hover { background: #f0f6fa; }
        td.missing { color: #9aa0a6; text-align: right; }
        th.num, td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
        table.kv th { color: #444c56; font-weight: 600; background: none; white-space: nowrap; }
        table.kv td { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 0.88rem; }
        figure { margin: 1.6em 0; text-align: center; }
        figure svg { max-width: 100%; height: auto; }
        figcaption { color: #59636e; font-size: 0.92rem; margin: 0.5em auto 0; max-width: 78ch; text-align: left; }
        pre { background: #f6f8fa; border: 1px solid #e4e6ea; border-radius: 6px; padding: 12px 16px; overflow-x: auto;
              font-size: 0.85rem; line-height: 1.45; font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", monospace; }
        .pre-caption { color: #59636e; font-size: 0.9rem; margin-bottom: 0; }

        """;
}
