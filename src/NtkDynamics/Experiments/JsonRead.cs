using System.Text.Json;

namespace NtkDynamics.Experiments;

/// <summary>Reads the run folder's JSON files; every failure is an <see cref="InputException"/> naming the file and key.</summary>
internal static class JsonRead
{
    /// <summary>Parses a whole JSON file.</summary>
    public static JsonElement File(string path)
    {
        try
        {
            using var doc = JsonDocument.Parse(System.IO.File.ReadAllText(path));
            return doc.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new InputException($"{path}: not valid JSON ({e.Message})");
        }
    }

    /// <summary>Parses one line of a JSON-lines file.</summary>
    public static JsonElement Line(string line, string where)
    {
        try
        {
            using var doc = JsonDocument.Parse(line);
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new InputException($"{where}: expected a JSON object");
            return doc.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new InputException($"{where}: not valid JSON ({e.Message})");
        }
    }

    private static JsonElement Object(JsonElement o, string where) =>
        o.ValueKind == JsonValueKind.Object ? o : throw new InputException($"{where}: expected a JSON object, got {o.ValueKind.ToString().ToLowerInvariant()}");

    /// <summary>The number at key; NaN when the key is missing or null.</summary>
    public static double Number(JsonElement o, string key, string where) =>
        Object(o, where).TryGetProperty(key, out JsonElement v) ? v.ValueKind switch
        {
            JsonValueKind.Null => double.NaN,
            JsonValueKind.Number => v.GetDouble(),
            _ => throw new InputException($"{where}: '{key}' should be a number or null, got {v.ValueKind.ToString().ToLowerInvariant()}"),
        } : double.NaN;

    /// <summary>The integer at key, which must be present.</summary>
    public static int Int(JsonElement o, string key, string where)
    {
        if (!Object(o, where).TryGetProperty(key, out JsonElement v)) throw new InputException($"{where}: missing '{key}'");
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int i)) throw new InputException($"{where}: '{key}' should be an integer, got {v}");
        return i;
    }

    /// <summary>The string at key, or null when missing or null.</summary>
    public static string? String(JsonElement o, string key, string where) =>
        Object(o, where).TryGetProperty(key, out JsonElement v) ? v.ValueKind switch
        {
            JsonValueKind.Null => null,
            JsonValueKind.String => v.GetString(),
            _ => throw new InputException($"{where}: '{key}' should be a string, got {v.ValueKind.ToString().ToLowerInvariant()}"),
        } : null;

    /// <summary>The array at key (empty when missing or null); with a null key, <paramref name="o"/> itself must be an array.</summary>
    public static IEnumerable<JsonElement> Array(JsonElement o, string? key, string where)
    {
        if (key is null)
            return o.ValueKind == JsonValueKind.Array ? o.EnumerateArray() : throw new InputException($"{where}: expected a JSON array, got {o.ValueKind.ToString().ToLowerInvariant()}");
        if (!Object(o, where).TryGetProperty(key, out JsonElement v) || v.ValueKind == JsonValueKind.Null) return [];
        if (v.ValueKind != JsonValueKind.Array) throw new InputException($"{where}: '{key}' should be an array, got {v.ValueKind.ToString().ToLowerInvariant()}");
        return v.EnumerateArray();
    }

    /// <summary>The numbers of the array at key (null entries read as NaN).</summary>
    public static double[] Numbers(JsonElement o, string key, string where) =>
        [.. Array(o, key, where).Select(v => v.ValueKind switch
        {
            JsonValueKind.Number => v.GetDouble(),
            JsonValueKind.Null => double.NaN,
            _ => throw new InputException($"{where}: '{key}' should hold numbers, got {v}"),
        })];
}
