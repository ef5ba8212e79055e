using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using NtkDynamics.Experiments;

namespace NtkDynamics.Tests.Experiments;

/// <summary>
/// Asserts two run folders of one config are the same run: every file of a run folder is listed here with what of it may
/// differ (wall-clock timings, the time status.json was written, the run's name), and everything else must be byte for
/// byte the same. A file no rule names fails the comparison, so a new kind of file has to be added here, with its rule.
/// </summary>
internal static class SameRunFolder
{
    private enum Rule { Bytes, JsonWithoutTimes, JsonLinesWithoutTimes, ConfigWithoutName, ChecksumsWithoutState }

    // Relative paths (with '/') of every file `ntk run` leaves in a run folder (docs/run-folder.md), and how each compares.
    private static readonly (Regex Path, Rule Rule)[] Files =
    [
        (new(@"^config\.yaml$"), Rule.ConfigWithoutName),
        (new(@"^status\.json$"), Rule.JsonWithoutTimes),
        (new(@"^stream\.txt$"), Rule.Bytes),
        (new(@"^stream\.json$"), Rule.Bytes),
        (new(@"^metrics\.jsonl$"), Rule.JsonLinesWithoutTimes),
        (new(@"^accuracy\.csv$"), Rule.Bytes),
        (new(@"^summary\.json$"), Rule.JsonWithoutTimes),
        (new(@"^probe\.npy$"), Rule.Bytes),
        (new(@"^probe_labels\.npy$"), Rule.Bytes),
        (new(@"^kernels/step_\d{6}\.npy$"), Rule.Bytes),
        (new(@"^checkpoints/latest$"), Rule.Bytes),
        (new(@"^checkpoints/step_\d{6}/(model|optimizer|kernels|strategy)\.safetensors$"), Rule.Bytes),
        (new(@"^checkpoints/step_\d{6}/state\.json$"), Rule.JsonWithoutTimes),
        (new(@"^checkpoints/step_\d{6}/sha256sums$"), Rule.ChecksumsWithoutState),
    ];

    // Wall-clock keys: metrics.jsonl's ntk_seconds, summary.json's *_seconds, state.json's *Seconds, status.json's updated.
    private static bool IsTime(string key) => key.EndsWith("_seconds", StringComparison.Ordinal) || key.EndsWith("Seconds", StringComparison.Ordinal) || key == "updated";

    /// <summary>Asserts <paramref name="actual"/> holds the same files as <paramref name="expected"/>, equal under their rules;
    /// returns how many files were compared. Kernels and checkpoints must be among them.</summary>
    public static int AssertSame(RunFolder expected, RunFolder actual)
    {
        string[] want = Relative(expected.Path), got = Relative(actual.Path);
        Assert.Equal(want, got);
        foreach (var pattern in new[] { "kernels/", "checkpoints/step_" })
            Assert.True(want.Any(f => f.StartsWith(pattern, StringComparison.Ordinal)), $"{expected.Path} has no {pattern} files to compare");
        foreach (var file in want)
        {
            var rules = Files.Where(f => f.Path.IsMatch(file)).Select(f => f.Rule).ToList();
            Assert.True(rules.Count == 1, $"{file}: a run folder's file that {nameof(SameRunFolder)} does not list; add it with what of it may differ");
            string a = Path.Combine(expected.Path, file), b = Path.Combine(actual.Path, file);
            switch (rules[0])
            {
                case Rule.Bytes:
                    Assert.True(File.ReadAllBytes(a).AsSpan().SequenceEqual(File.ReadAllBytes(b)), $"{file} differs between {expected.Path} and {actual.Path}");
                    break;
                case Rule.JsonWithoutTimes:
                    Assert.Equal(WithoutTimes(File.ReadAllText(a)), WithoutTimes(File.ReadAllText(b)));
                    break;
                case Rule.JsonLinesWithoutTimes:
                    Assert.Equal(File.ReadAllLines(a).Select(WithoutTimes), File.ReadAllLines(b).Select(WithoutTimes));
                    break;
                case Rule.ConfigWithoutName:
                    Assert.Equal(WithoutName(a), WithoutName(b));
                    break;
                case Rule.ChecksumsWithoutState:
                    // state.json holds timings, so its checksum differs; it is checked against the file instead.
                    Assert.Equal(WithoutState(a), WithoutState(b));
                    CheckStateSum(a);
                    CheckStateSum(b);
                    break;
            }
        }
        return want.Length;
    }

    private static string[] Relative(string root) =>
        [.. Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(root, f).Replace('\\', '/')).Order(StringComparer.Ordinal)];

    private static string WithoutTimes(string json)
    {
        var node = JsonNode.Parse(json)!;
        if (node is JsonObject o)
            foreach (var key in o.Select(p => p.Key).Where(IsTime).ToList()) o.Remove(key);
        return node.ToJsonString(new JsonSerializerOptions { WriteIndented = false });
    }

    private static string[] WithoutName(string config) => [.. File.ReadAllLines(config).Where(l => !l.StartsWith("name:", StringComparison.Ordinal))];

    private static string[] WithoutState(string sums) => [.. File.ReadAllLines(sums).Where(l => !l.EndsWith("  state.json", StringComparison.Ordinal))];

    private static void CheckStateSum(string sums)
    {
        string line = Assert.Single(File.ReadAllLines(sums), l => l.EndsWith("  state.json", StringComparison.Ordinal));
        string state = Path.Combine(Path.GetDirectoryName(sums)!, "state.json");
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(state))), line[..64]);
    }
}
