using System.Globalization;
using System.Xml.Linq;
using NtkDynamics.Reporting;

namespace NtkDynamics.Tests.Reporting;

/// <summary>A label in a figure's SVG: its text and where it starts (SkiaSharp writes a translate and per-glyph offsets).</summary>
internal sealed record SvgText(string Text, double X, double Y);

/// <summary>Reads back what ScottPlot wrote into a figure's SVG: its labels and the colours it filled and stroked with.</summary>
internal static class SvgDoc
{
    public static readonly XNamespace Ns = "http://www.w3.org/2000/svg";

    public static XDocument Parse(Chart c) => XDocument.Parse(c.ToSvg());

    /// <summary>Every text element, in document order.</summary>
    public static List<SvgText> Texts(XContainer d) =>
        [.. d.Descendants(Ns + "text").Select(t =>
        {
            double[] at = [.. Numbers((string?)t.Attribute("transform") ?? "translate(0 0)")];
            double x = Numbers((string?)t.Attribute("x") ?? "0").FirstOrDefault(), y = Numbers((string?)t.Attribute("y") ?? "0").FirstOrDefault();
            return new SvgText(t.Value.Trim(), at[0] + x, at[1] + y);
        })];

    /// <summary>The texts that read exactly s.</summary>
    public static List<SvgText> Texts(XContainer d, string s) => [.. Texts(d).Where(t => t.Text == s)];

    /// <summary>Every fill and stroke colour used, as "#RRGGBB" (upper case).</summary>
    public static HashSet<string> Colours(XContainer d) =>
        [.. d.Descendants().SelectMany(e => new[] { (string?)e.Attribute("fill"), (string?)e.Attribute("stroke") })
            .OfType<string>().Where(c => c.StartsWith('#')).Select(Long)];

    /// <summary>A ScottPlot colour as SVG writes it.</summary>
    public static string Hex(ScottPlot.Color c) => $"#{c.R:X2}{c.G:X2}{c.B:X2}";

    private static string Long(string c) => c.Length == 4 ? $"#{c[1]}{c[1]}{c[2]}{c[2]}{c[3]}{c[3]}".ToUpperInvariant() : c[..7].ToUpperInvariant();

    private static IEnumerable<double> Numbers(string s) =>
        s.Split([' ', ',', '(', ')'], StringSplitOptions.RemoveEmptyEntries)
            .Select(p => double.TryParse(p, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v : double.NaN).Where(double.IsFinite);

    /// <summary>A tick label as a number: "−0.5", "0.001", "10⁻³", "2×10⁵", "1,000".</summary>
    public static double Label(string s)
    {
        s = s.Replace('−', '-').Replace(",", "");
        const string sup = "⁰¹²³⁴⁵⁶⁷⁸⁹";
        int tenAt = s.IndexOf("10", StringComparison.Ordinal);
        if (s.Any(c => sup.Contains(c) || c == '⁻'))
        {
            string exp = string.Concat(s[(tenAt + 2)..].Select(c => c == '⁻' ? '-' : (char)('0' + sup.IndexOf(c))));
            double mantissa = s.Contains('×') ? double.Parse(s[..s.IndexOf('×')], CultureInfo.InvariantCulture) : tenAt > 0 ? -1 : 1;
            return mantissa * Math.Pow(10, int.Parse(exp, CultureInfo.InvariantCulture));
        }
        return double.Parse(s, CultureInfo.InvariantCulture);
    }
}
