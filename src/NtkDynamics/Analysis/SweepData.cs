using System.Globalization;
using System.Text.Json;
using NtkDynamics.Experiments;

namespace NtkDynamics.Analysis;

/// <summary>A swept parameter's value in one cell: as written (strings unquoted) and as a number (NaN when not numeric).</summary>
public readonly record struct ParamValue(string Text, double Number) : IComparable<ParamValue>
{
    public override string ToString() => Text;

    /// <summary>Numerically when both are numbers, else by text (ordinal).</summary>
    public int CompareTo(ParamValue other) => double.IsFinite(Number) && double.IsFinite(other.Number)
        ? Number.CompareTo(other.Number) : string.CompareOrdinal(Text, other.Text);

    internal static ParamValue From(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.Number => new ParamValue(v.GetRawText(), v.GetDouble()),
        JsonValueKind.String => new ParamValue(v.GetString()!,
            double.TryParse(v.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out double d) ? d : double.NaN),
        _ => new ParamValue(v.GetRawText(), double.NaN),
    };
}

/// <summary>One cell of cells.json: its run folder is the sweep folder's sub-folder <see cref="Name"/>.</summary>
public sealed record SweepCell(int Index, string Name, IReadOnlyDictionary<string, ParamValue> Params);

/// <summary>A cell with its run read back, or why it could not be (not started yet, unreadable).</summary>
public sealed record SweepMember(SweepCell Cell, RunData? Run, string? Problem);

/// <summary>
/// A sweep folder (docs/run-folder.md): sweep.yaml, cells.json and one run folder per cell. Cells whose run cannot be read
/// are kept with the reason, so a sweep in progress can be analysed.
/// </summary>
public sealed class SweepData
{
    public const string CellsFile = "cells.json", SeedKey = "seed";

    public required string Folder { get; init; }
    public string Name => Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(Folder)));
    /// <summary>sweep.yaml as written, or null.</summary>
    public string? SweepText { get; init; }
    public required IReadOnlyList<SweepMember> Members { get; init; }

    /// <summary>The parameters that take more than one value across the cells, except the seed, in the order they first appear.</summary>
    public IReadOnlyList<string> Variables =>
        [.. Members.SelectMany(m => m.Cell.Params.Keys).Distinct()
            .Where(k => k != SeedKey && Members.Select(m => m.Cell.Params.TryGetValue(k, out ParamValue v) ? v.Text : "").Distinct().Count() > 1)];

    /// <summary>Whether a folder looks like a sweep folder (has cells.json).</summary>
    public static bool IsSweepFolder(string folder) => File.Exists(Path.Combine(folder, CellsFile));

    /// <summary>Reads cells.json and every cell's run folder that can be read.</summary>
    public static SweepData Load(string folder)
    {
        string path = Path.Combine(folder, CellsFile);
        if (!File.Exists(path)) throw new InputException($"{folder}: not a sweep folder, {CellsFile} is missing");
        JsonElement root = JsonRead.File(path);
        if (root.ValueKind != JsonValueKind.Array) throw new InputException($"{path}: expected a list of cells");
        var members = new List<SweepMember>();
        int i = 0;
        foreach (JsonElement c in root.EnumerateArray())
        {
            string where = $"{path}: cell {i++}";
            string name = JsonRead.String(c, "name", where) ?? throw new InputException($"{where}: missing 'name'");
            var ps = new Dictionary<string, ParamValue>();
            if (c.TryGetProperty("params", out JsonElement p) && p.ValueKind == JsonValueKind.Object)
                foreach (JsonProperty kv in p.EnumerateObject()) ps[kv.Name] = ParamValue.From(kv.Value);
            var cell = new SweepCell(JsonRead.Int(c, "index", where), name, ps);
            string runFolder = Path.Combine(folder, name);
            if (!RunData.IsRunFolder(runFolder)) members.Add(new SweepMember(cell, null, "no measurements yet"));
            else
                try { members.Add(new SweepMember(cell, RunData.Load(runFolder), null)); }
                catch (InputException e) { members.Add(new SweepMember(cell, null, e.Message)); }
        }
        string yaml = Path.Combine(folder, "sweep.yaml");
        return new SweepData { Folder = folder, SweepText = File.Exists(yaml) ? File.ReadAllText(yaml) : null, Members = members };
    }
}
