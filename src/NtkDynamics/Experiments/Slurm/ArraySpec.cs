using System.Globalization;
using System.Text;

namespace NtkDynamics.Experiments.Slurm;

/// <summary>Slurm job-array index lists such as <c>0-7</c>, <c>1,3,5-7</c> or <c>0-99%8</c>.</summary>
public static class ArraySpec
{
    /// <summary>
    /// The <c>--array</c> value for these cells: sorted, runs of consecutive cells as ranges, then <c>%max</c> when given.
    /// Throws <see cref="InputException"/> for no cells, a negative or repeated cell, or max below 1.
    /// </summary>
    public static string Format(IEnumerable<int> cells, int? maxConcurrent = null)
    {
        var sorted = cells.Order().ToArray();
        if (sorted.Length == 0) throw new InputException("slurm array: no cells to submit");
        if (sorted[0] < 0) throw new InputException($"slurm array: cell {sorted[0]} is negative");
        for (int i = 1; i < sorted.Length; i++)
            if (sorted[i] == sorted[i - 1]) throw new InputException($"slurm array: cell {sorted[i]} is listed twice");
        if (maxConcurrent is < 1) throw new InputException($"slurm.max_concurrent: expected a whole number >= 1, got {maxConcurrent}");

        var s = new StringBuilder();
        for (int start = 0; start < sorted.Length;)
        {
            int end = start;
            while (end + 1 < sorted.Length && sorted[end + 1] == sorted[end] + 1) end++;
            if (s.Length > 0) s.Append(',');
            s.Append(sorted[start]);
            if (end > start) s.Append('-').Append(sorted[end]);
            start = end + 1;
        }
        if (maxConcurrent is int max) s.Append('%').Append(max);
        return s.ToString();
    }

    /// <summary>
    /// The indices of a Slurm array expression as squeue, sacct and scontrol print it: <c>3</c>, <c>0-3</c>,
    /// <c>[2-3,7]</c>, <c>0-99%8</c> (the throttle is dropped), <c>1-7:2</c> (a step). Throws <see cref="FormatException"/>.
    /// </summary>
    public static IReadOnlyList<int> Parse(string expression)
    {
        var e = expression.Trim();
        if (e.StartsWith('[') && e.EndsWith(']')) e = e[1..^1];
        int percent = e.IndexOf('%');
        if (percent >= 0) e = e[..percent];
        var indices = new List<int>();
        foreach (var part in e.Split(','))
        {
            var stepParts = part.Split(':');
            var bounds = stepParts[0].Split('-');
            int first = Number(bounds[0], expression), last = bounds.Length == 2 ? Number(bounds[1], expression) : first;
            int step = stepParts.Length == 2 ? Number(stepParts[1], expression) : 1;
            if (bounds.Length > 2 || stepParts.Length > 2 || last < first || step < 1)
                throw new FormatException($"not a Slurm array expression: '{expression}'");
            for (int i = first; i <= last; i += step) indices.Add(i);
        }
        return indices;
    }

    private static int Number(string s, string expression) =>
        int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int v)
            ? v : throw new FormatException($"not a Slurm array expression: '{expression}'");
}
