using System.Globalization;
using System.Text;
using System.Text.Json;

namespace NtkDynamics.Formats;

/// <summary>One tensor's entry in a safetensors header: its dtype name, shape and byte range in the data buffer.</summary>
internal sealed record SafeTensorsEntry(string Name, string DType, int[] Shape, long Begin, long End);

/// <summary>
/// The JSON header of a safetensors file: formatting exactly as Python's <c>json.dumps(header, separators=(",", ":"))</c>
/// in /work/shared/bench/st_io.py (metadata first, then entries in the given order, ASCII with \uXXXX escapes), and
/// parsing with every structural check, each failure a one-line <see cref="InputException"/>.
/// </summary>
internal static class SafeTensorsHeader
{
    public const string MetadataKey = "__metadata__";

    public static string Format(IEnumerable<SafeTensorsEntry> entries, IReadOnlyList<KeyValuePair<string, string>> metadata)
    {
        var sb = new StringBuilder("{");
        if (metadata.Count > 0)
        {
            Quote(sb, MetadataKey).Append(":{");
            foreach (var (key, value) in metadata)
                Quote(Quote(sb, key).Append(':'), value).Append(',');
            sb.Length--;
            sb.Append("},");
        }
        foreach (var e in entries)
        {
            Quote(sb, e.Name).Append(":{\"dtype\":");
            Quote(sb, e.DType).Append(",\"shape\":[").Append(string.Join(',', e.Shape))
                .Append(CultureInfo.InvariantCulture, $"],\"data_offsets\":[{e.Begin},{e.End}]}},");
        }
        if (sb.Length > 1) sb.Length--;
        return sb.Append('}').ToString();
    }

    /// <summary>Appends a JSON string as Python writes it with ensure_ascii: short escapes, else \u00XX for anything outside ' '..'~'.</summary>
    private static StringBuilder Quote(StringBuilder sb, string s)
    {
        sb.Append('"');
        foreach (char c in s)
        {
            string? esc = c switch
            {
                '"' => "\\\"", '\\' => "\\\\", '\n' => "\\n", '\r' => "\\r", '\t' => "\\t", '\b' => "\\b", '\f' => "\\f",
                _ => null,
            };
            if (esc is not null) sb.Append(esc);
            else if (c is >= ' ' and <= '~') sb.Append(c);
            else sb.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
        }
        return sb.Append('"');
    }

    /// <summary>Parses the header JSON into entries (in file order) and metadata.</summary>
    public static (List<SafeTensorsEntry> Entries, Dictionary<string, string> Metadata) Parse(byte[] json, string path)
    {
        if (!System.Text.Unicode.Utf8.IsValid(json)) throw Bad(path, "the header is not valid UTF-8 JSON");
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw Bad(path, $"bad header JSON: {e.Message.ReplaceLineEndings(" ")}");
        }
        using var _ = doc;
        if (doc.RootElement.ValueKind != JsonValueKind.Object) throw Bad(path, "header JSON is not an object");
        var entries = new List<SafeTensorsEntry>();
        var metadata = new Dictionary<string, string>();
        var seen = new HashSet<string>();
        foreach (var prop in doc.RootElement.EnumerateObject())
        {
            if (!seen.Add(prop.Name)) throw Bad(path, $"'{prop.Name}' appears twice in the header");
            if (prop.Name == MetadataKey)
                ParseMetadata(prop.Value, metadata, path);
            else
                entries.Add(ParseEntry(prop.Name, prop.Value, path));
        }
        return (entries, metadata);
    }

    private static void ParseMetadata(JsonElement value, Dictionary<string, string> metadata, string path)
    {
        if (value.ValueKind == JsonValueKind.Null) return;
        if (value.ValueKind != JsonValueKind.Object) throw Bad(path, "__metadata__ is not an object of strings");
        foreach (var m in value.EnumerateObject())
        {
            if (m.Value.ValueKind != JsonValueKind.String) throw Bad(path, $"__metadata__ value of '{m.Name}' is not a string");
            metadata[m.Name] = m.Value.GetString()!;
        }
    }

    private static SafeTensorsEntry ParseEntry(string name, JsonElement value, string path)
    {
        if (value.ValueKind != JsonValueKind.Object) throw Bad(path, $"tensor '{name}': entry is not an object");
        if (!value.TryGetProperty("dtype", out var dtype) || dtype.ValueKind != JsonValueKind.String)
            throw Bad(path, $"tensor '{name}': missing string \"dtype\"");
        long[] shape = Integers(value, "shape", name, path);
        long[] offsets = Integers(value, "data_offsets", name, path);
        if (offsets.Length != 2) throw Bad(path, $"tensor '{name}': data_offsets must be [begin, end]");
        if (shape.Any(d => d > int.MaxValue)) throw Bad(path, $"tensor '{name}': a dimension of [{string.Join(", ", shape)}] exceeds 2^31-1");
        return new SafeTensorsEntry(name, dtype.GetString()!, Array.ConvertAll(shape, d => (int)d), offsets[0], offsets[1]);
    }

    private static long[] Integers(JsonElement entry, string key, string name, string path)
    {
        if (!entry.TryGetProperty(key, out var array) || array.ValueKind != JsonValueKind.Array)
            throw Bad(path, $"tensor '{name}': missing array \"{key}\"");
        return array.EnumerateArray().Select(v => v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out long x) && x >= 0
            ? x : throw Bad(path, $"tensor '{name}': \"{key}\" holds {v.GetRawText()}, not a non-negative integer")).ToArray();
    }

    public static InputException Bad(string path, string what) => new($"{path}: {what}");
}
