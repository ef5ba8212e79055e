using System.Globalization;
using System.Xml.Linq;
using NtkDynamics.Reporting;

namespace NtkDynamics.Tests.Reporting;

/// <summary>Reads back what a figure drew: elements by class, path runs, tick labels as numbers.</summary>
internal static class SvgDoc
{
    public static readonly XNamespace Ns = "http://www.w3.org/2000/svg";

    public static XDocument Parse(Figure f) => XDocument.Parse(f.ToSvg());

    public static IEnumerable<XElement> WithClass(this XContainer d, string cls) =>
        d.Descendants().Where(e => ((string?)e.Attribute("class"))?.Split(' ').Contains(cls) == true);

    public static double Num(this XElement e, string attribute) => double.Parse((string)e.Attribute(attribute)!, CultureInfo.InvariantCulture);

    /// <summary>The runs (one per M command) of points in a path's d attribute.</summary>
    public static List<List<(double X, double Y)>> Runs(XElement path)
    {
        var runs = new List<List<(double X, double Y)>>();
        foreach (string token in ((string)path.Attribute("d")!).Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (token[0] == 'M') runs.Add([]);
            string[] xy = token[1..].Split(',');
            runs[^1].Add((double.Parse(xy[0], CultureInfo.InvariantCulture), double.Parse(xy[1], CultureInfo.InvariantCulture)));
        }
        return runs;
    }

    /// <summary>A tick label as a number: "−0.5", "0.001", "10⁻³", "2×10⁵".</summary>
    public static double Label(string s)
    {
        s = s.Replace('−', '-');
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

    /// <summary>The vertical centre of a label (the writer puts the baseline 0.35 font sizes below it).</summary>
    public static double CentreY(XElement text) => text.Num("y") - 0.35 * text.Num("font-size");
}
