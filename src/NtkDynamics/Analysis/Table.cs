using System.Globalization;
using System.Text;

namespace NtkDynamics.Analysis;

/// <summary>
/// A table of results: cells are strings, integers, doubles (NaN = not measured) or null (nothing to show). <see cref="ToText"/>
/// prints it with aligned columns; the HTML report shows the same cells.
/// </summary>
public sealed record Table(IReadOnlyList<string> Header, IReadOnlyList<IReadOnlyList<object?>> Rows)
{
    /// <summary>Plain text: columns separated by two spaces, numbers right-aligned, a rule under the header.</summary>
    public string ToText()
    {
        string[][] cells = [[.. Header], .. Rows.Select(r => r.Select(Cell).ToArray())];
        int[] width = [.. Header.Select((_, j) => cells.Max(r => r[j].Length))];
        bool[] right = [.. Header.Select((_, j) => Rows.All(r => r[j] is null or double or int or long))];
        var sb = new StringBuilder();
        for (int i = 0; i < cells.Length; i++)
        {
            sb.AppendJoin("  ", cells[i].Select((c, j) => right[j] ? c.PadLeft(width[j]) : c.PadRight(width[j]))).Append('\n');
            if (i == 0) sb.AppendJoin("  ", width.Select(w => new string('-', w))).Append('\n');
        }
        return string.Join('\n', sb.ToString().Split('\n').Select(l => l.TrimEnd()));
    }

    /// <summary>A cell as text: doubles by <see cref="Number(double)"/>, null as "".</summary>
    public static string Cell(object? v) => v switch
    {
        null => "",
        double d => Number(d),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => v.ToString() ?? "",
    };

    /// <summary>Four significant digits by default ("0.01234", "12.35", "1.235e-05"); NaN as "—".</summary>
    public static string Number(double v) => Number(v, 4);

    /// <summary>digits (1 to 15) significant digits; scientific outside [1e-3, 1e5); NaN as "—".</summary>
    public static string Number(double v, int digits)
    {
        if (double.IsNaN(v)) return "—";
        if (double.IsInfinity(v)) return v > 0 ? "inf" : "-inf";
        double a = Math.Abs(v);
        if (a == 0) return "0";
        if (a >= 1e-3 && a < 1e5)
        {
            int decimals = Math.Max(0, digits - 1 - (int)Math.Floor(Math.Log10(a)));
            return Math.Round(v, decimals).ToString("0." + new string('#', Math.Max(1, decimals)), CultureInfo.InvariantCulture);
        }
        return v.ToString("0." + new string('#', Math.Max(1, digits - 1)) + "e+00", CultureInfo.InvariantCulture);
    }
}
