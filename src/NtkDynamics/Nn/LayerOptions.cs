using System.Globalization;

namespace NtkDynamics.Nn;

/// <summary>
/// The options of one node of a graph file (`{kind: conv2d, out: 64, kernel: 3, padding: 1}` without kind, inputs and
/// name), as a layer kind's factory reads them: typed getters whose errors name the node and the option, and a check that
/// every option given was read. Values are what a YAML or JSON reader gives: numbers (or their text), booleans, lists.
/// </summary>
public sealed class LayerOptions(string source, string node, string kind, IReadOnlyDictionary<string, object?> values)
{
    private readonly HashSet<string> _read = [];

    public string Node => node;

    /// <summary>An error naming the file, the node and the option.</summary>
    public InputException Error(string key, string what) => Error($"{key}: {what}");

    /// <summary>An error naming the file and the node.</summary>
    public InputException Error(string what) => new($"{source}: node '{node}' ({kind}): {what}");

    private object? Get(string key)
    {
        _read.Add(key);
        return values.TryGetValue(key, out var v) ? v : null;
    }

    public bool Has(string key) => values.ContainsKey(key);

    /// <summary>An integer option; required when <paramref name="fallback"/> is null.</summary>
    public int Int(string key, int? fallback = null, int min = int.MinValue) => IntOf(key, Get(key), fallback, min);

    private int IntOf(string key, object? v, int? fallback, int min)
    {
        int value = v switch
        {
            null => fallback ?? throw Error(key, "missing (an integer)"),
            int i => i,
            long l when l is >= int.MinValue and <= int.MaxValue => (int)l,
            string s when int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int p) => p,
            _ => throw Error(key, $"expected an integer, got '{Format(v)}'"),
        };
        if (value < min) throw Error(key, $"must be >= {min}, got {value}");
        return value;
    }

    /// <summary>An integer for both axes, or a list [h, w] (PyTorch's kernel_size=3 or (3, 1)).</summary>
    public (int H, int W) Pair(string key, (int H, int W)? fallback = null, int min = int.MinValue)
    {
        var v = Get(key);
        if (v is System.Collections.IList list)
        {
            if (list.Count != 2) throw Error(key, $"expected an integer or a list of two, got {list.Count} values");
            return (IntOf(key, list[0], null, min), IntOf(key, list[1], null, min));
        }
        if (v is null && fallback is { } f) return f;
        int both = IntOf(key, v, null, min);
        return (both, both);
    }

    /// <summary>An integer or a list of integers (PyTorch's normalized_shape=64 or [16, 8, 8]); null when absent.</summary>
    public int[]? Ints(string key, int min = int.MinValue)
    {
        var v = Get(key);
        if (v is System.Collections.IList list)
            return list.Count > 0 ? list.Cast<object?>().Select(e => IntOf(key, e, null, min)).ToArray() : throw Error(key, "expected an integer or a list of integers, got []");
        return v is null ? null : [IntOf(key, v, null, min)];
    }

    public double Double(string key, double fallback)
    {
        var v = Get(key);
        return v switch
        {
            null => fallback,
            double d => d,
            float f => f,
            int i => i,
            long l => l,
            string s when double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double p) => p,
            _ => throw Error(key, $"expected a number, got '{Format(v)}'"),
        };
    }

    public bool Bool(string key, bool fallback)
    {
        var v = Get(key);
        return v switch
        {
            null => fallback,
            bool b => b,
            string s when bool.TryParse(s, out bool p) => p,
            _ => throw Error(key, $"expected true or false, got '{Format(v)}'"),
        };
    }

    /// <summary>Throws for an option the factory did not read (a typo, or an option of another kind).</summary>
    public void CheckAllRead(IEnumerable<string> known)
    {
        foreach (var key in values.Keys)
            if (!_read.Contains(key))
                throw new InputException($"{source}: node '{node}' ({kind}): unknown option '{key}' (expected {string.Join(", ", known.DefaultIfEmpty("no options"))})");
    }

    private static string Format(object? v) => v is System.Collections.IList l ? $"[{string.Join(", ", l.Cast<object?>())}]" : $"{v}";
}
