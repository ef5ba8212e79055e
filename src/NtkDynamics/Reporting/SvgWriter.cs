using System.Globalization;
using System.Text;

namespace NtkDynamics.Reporting;

/// <summary>Text anchor of an SVG label.</summary>
internal enum Anchor { Start, Middle, End }

/// <summary>
/// Appends SVG elements to a string, with coordinates rounded to 0.01 px and text escaped. Every label is
/// placed by its baseline, computed here from the font size (renderers disagree on dominant-baseline).
/// </summary>
internal sealed class SvgWriter
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private readonly StringBuilder _sb = new();

    /// <summary>Average advance of one character, as a fraction of the font size (DejaVu/Helvetica-like sans).</summary>
    public const double CharWidth = 0.6;

    public static double TextWidth(string s, double size) => s.Length * size * CharWidth;

    public static string N(double v) => Math.Round(v, 2).ToString("0.##", Inv);

    public static string Escape(string s) =>
        s.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;").Replace("\"", "&quot;");

    public void Raw(string s) => _sb.Append(s);

    public void Open(string tag, string attributes = "") => _sb.Append('<').Append(tag).Append(attributes.Length > 0 ? " " : "").Append(attributes).Append(">\n");

    public void Close(string tag) => _sb.Append("</").Append(tag).Append(">\n");

    public void Line(double x1, double y1, double x2, double y2, Rgb stroke, double width, string extra = "") =>
        _sb.Append($"<line x1=\"{N(x1)}\" y1=\"{N(y1)}\" x2=\"{N(x2)}\" y2=\"{N(y2)}\" stroke=\"{stroke.Hex}\" stroke-width=\"{N(width)}\"{Extra(extra)}/>\n");

    public void Rect(double x, double y, double w, double h, Rgb fill, string extra = "") =>
        _sb.Append($"<rect x=\"{N(x)}\" y=\"{N(y)}\" width=\"{N(w)}\" height=\"{N(h)}\" fill=\"{fill.Hex}\"{Extra(extra)}/>\n");

    public void Circle(double x, double y, double r, Rgb fill, string extra = "") =>
        _sb.Append($"<circle cx=\"{N(x)}\" cy=\"{N(y)}\" r=\"{N(r)}\" fill=\"{fill.Hex}\"{Extra(extra)}/>\n");

    public void Path(string d, Rgb stroke, double width, string extra = "") =>
        _sb.Append($"<path d=\"{d}\" fill=\"none\" stroke=\"{stroke.Hex}\" stroke-width=\"{N(width)}\" stroke-linejoin=\"round\" stroke-linecap=\"round\"{Extra(extra)}/>\n");

    /// <summary>A label whose vertical centre (middle=true) or baseline sits at y; rotate is degrees about (x, y).</summary>
    public void Text(double x, double y, string text, double size, Anchor anchor = Anchor.Start, Rgb? color = null,
        bool middle = true, double rotate = 0, string extra = "")
    {
        double baseline = middle ? y + 0.35 * size : y;
        string a = anchor switch { Anchor.Middle => " text-anchor=\"middle\"", Anchor.End => " text-anchor=\"end\"", _ => "" };
        string r = rotate != 0 ? $" transform=\"rotate({N(rotate)} {N(x)} {N(y)})\"" : "";
        string fill = color is Rgb c ? c.Hex : "#222222";
        _sb.Append($"<text x=\"{N(x)}\" y=\"{N(baseline)}\" font-size=\"{N(size)}\" fill=\"{fill}\"{a}{r}{Extra(extra)}>{Escape(text)}</text>\n");
    }

    public override string ToString() => _sb.ToString();

    private static string Extra(string extra) => extra.Length > 0 ? " " + extra : "";
}
