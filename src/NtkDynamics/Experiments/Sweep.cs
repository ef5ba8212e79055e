using System.Globalization;
using System.Text.Json;
using NtkDynamics.Data;
using NtkDynamics.Experiments.Slurm;
using NtkDynamics.Formats;
using YamlDotNet.RepresentationModel;

namespace NtkDynamics.Experiments;

/// <summary>One cell of a sweep: its number, its folder name and the values it sets (dotted config key -> YAML text).</summary>
public sealed record SweepCell(int Index, string Name, IReadOnlyDictionary<string, string> Params);

/// <summary>
/// A sweep file: a base experiment (inline under <c>experiment:</c> or a file named by <c>base:</c>) and a <c>grid:</c> of dotted
/// config keys to lists of values; the cells are the cartesian product, in the grid's key order (the last key varies fastest).
/// <c>cases:</c>, a list of mappings of dotted keys to values, sets several keys together (one strategy with its own learning
/// rate); it is the outermost factor of the product. Each cell is a normal run folder inside <c>output/name/</c>.
/// <c>workers:</c> local processes; <c>slurm:</c> resources per cell.
/// </summary>
/// <example>
/// name: widths
/// base: experiment.yaml
/// cases: [{strategy.kind: er, train.lr: 0.1}, {strategy.kind: derpp, train.lr: 0.03}]
/// grid: {model.width: [16, 32, 64], seed: [0, 1, 2]}
/// </example>
public sealed class Sweep
{
    public string Source { get; }
    public string Name { get; }
    public string Folder { get; }
    public int Workers { get; }
    public SlurmResources Slurm { get; }
    public IReadOnlyList<SweepCell> Cells { get; }
    private readonly string _baseYaml;
    // The factors of the product, outermost first: each a list of options, each option the (key, value) pairs it sets.
    private readonly IReadOnlyList<(string Key, YamlNode Value)[][]> _axes;

    private Sweep(string source, string name, string folder, int workers, SlurmResources slurm, string baseYaml, List<(string Key, YamlNode Value)[][]> axes)
    {
        Source = source; Name = name; Folder = folder; Workers = workers; Slurm = slurm; _baseYaml = baseYaml; _axes = axes;
        var cells = new List<SweepCell>();
        int count = axes.Aggregate(1, (n, a) => n * a.Length);
        for (int i = 0; i < count; i++)
        {
            var ordered = Options(i).SelectMany(o => o).ToDictionary(kv => kv.Key, kv => Text(kv.Value));
            string cellName = string.Join(",", ordered.Select(kv => $"{kv.Key.Split('.')[^1]}={Safe(kv.Value)}"));
            cells.Add(new SweepCell(i, cellName.Length > 0 ? cellName : "cell0", ordered));
        }
        Cells = cells;
    }

    // The option of each axis that cell i takes (the last axis varies fastest).
    private (string Key, YamlNode Value)[][] Options(int i)
    {
        var chosen = new (string, YamlNode)[_axes.Count][];
        for (int a = _axes.Count - 1; a >= 0; a--)
        {
            chosen[a] = _axes[a][i % _axes[a].Length];
            i /= _axes[a].Length;
        }
        return chosen;
    }

    private static string Text(YamlNode node) => node is YamlScalarNode s ? s.Value ?? "" : ToYaml(node);

    private static string ToYaml(YamlNode node)
    {
        var w = new StringWriter();
        new YamlStream(new YamlDocument(node)).Save(w, assignAnchors: false);
        return w.ToString().Trim().TrimEnd('.').Trim();
    }

    private static string Safe(string v) => new(v.Select(c => char.IsLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '_').ToArray());

    public static Sweep Load(string path)
    {
        var root = ConfigNode.Load(path);
        var yaml = new YamlStream();
        yaml.Load(new StringReader(File.ReadAllText(path)));
        var map = (YamlMappingNode)yaml.Documents[0].RootNode;
        string name = root.String("name", Path.GetFileNameWithoutExtension(path))!;
        string output = root.String("output", "runs")!;
        int workers = root.Int("workers", 1, 1)!.Value;
        string? basePath = root.String("base");
        root.Accept("experiment");
        string baseYaml;
        if (basePath is not null)
        {
            string full = Path.GetFullPath(basePath, Path.GetDirectoryName(Path.GetFullPath(path))!);
            if (!File.Exists(full)) throw root.Error("base", $"no such experiment file: {full}");
            baseYaml = File.ReadAllText(full);
            ConfigNode.Parse(baseYaml, full);
        }
        else baseYaml = map.Children.TryGetValue(new YamlScalarNode("experiment"), out var inline) ? ToYaml(inline) : "";
        if (map.Children.TryGetValue(new YamlScalarNode("experiment"), out var given) && given is not YamlMappingNode && !(given is YamlScalarNode { Value: null or "" }))
            throw root.Error("experiment", "expected a mapping of experiment keys (model:, data:, ...)");
        if (basePath is not null && map.Children.ContainsKey(new YamlScalarNode("experiment")))
            throw root.Error("experiment", "give the base experiment inline (experiment:) or as a file (base:), not both");
        var axes = new List<(string Key, YamlNode Value)[][]>();
        if (map.Children.TryGetValue(new YamlScalarNode("cases"), out var casesNode))
        {
            if (casesNode is not YamlSequenceNode { Children.Count: > 0 } list)
                throw root.Error("cases", "expected a list of mappings of config keys to values ([{strategy.kind: er, train.lr: 0.1}, ...])");
            axes.Add([.. list.Children.Select((c, i) => c is YamlMappingNode { Children.Count: > 0 } m
                ? m.Children.Select(kv => (DottedKey(root, $"cases[{i}]", kv.Key), kv.Value)).ToArray()
                : throw root.Error($"cases[{i}]", "expected a mapping of config keys to values"))]);
        }
        root.Accept("cases");
        if (map.Children.TryGetValue(new YamlScalarNode("grid"), out var gridNode))
        {
            if (gridNode is not YamlMappingNode g) throw root.Error("grid", "expected a mapping of config keys to lists of values");
            foreach (var (k, v) in g.Children)
            {
                string key = DottedKey(root, "grid", k);
                if (axes.Count > 0 && axes[0].Any(c => c.Any(kv => kv.Key == key))) throw root.Error($"grid.{key}", "is also set by cases");
                var values = v is YamlSequenceNode seq ? seq.Children.ToArray() : [v];
                if (values.Length == 0) throw root.Error($"grid.{key}", "needs at least one value");
                axes.Add([.. values.Select(value => new[] { (key, value) })]);
            }
        }
        root.Accept("grid");
        var s = root.Child("slurm");
        var slurm = new SlurmResources
        {
            Cpus = s.Int("cpus", 1, 1)!.Value, Memory = s.String("memory"), Time = s.String("time"), Partition = s.String("partition"),
            MaxConcurrent = s.Int("max_concurrent", null, 1), Extra = s.Strings("extra") ?? [],
        };
        try { slurm.Validate(); }
        catch (InputException e) { throw new InputException($"{path}: {e.Message}"); }
        root.RejectUnknown();
        var sweep = new Sweep(path, name, Path.Combine(output, name), workers, slurm, baseYaml, axes);
        foreach (var cell in sweep.Cells) sweep.CellConfig(cell.Index); // every cell must be a valid experiment
        return sweep;
    }

    /// <summary>The experiment of cell <paramref name="index"/>: the base with the cell's values set, named after the cell, inside the sweep folder.</summary>
    public ExperimentConfig CellConfig(int index)
    {
        if ((uint)index >= (uint)Cells.Count) throw new InputException($"{Source}: there is no cell {index} (the sweep has {Cells.Count}: 0..{Cells.Count - 1})");
        var yaml = new YamlStream();
        yaml.Load(new StringReader(_baseYaml.Length > 0 ? _baseYaml : "{}"));
        var map = yaml.Documents.Count > 0 && yaml.Documents[0].RootNode is YamlMappingNode m ? m : new YamlMappingNode();
        foreach (var (key, value) in Options(index).SelectMany(o => o)) Set(map, key.Split('.'), value);
        Set(map, ["name"], new YamlScalarNode(Cells[index].Name));
        Set(map, ["output"], new YamlScalarNode(Folder));
        return ExperimentConfig.FromNode(ConfigNode.FromMapping(map, $"{Source} (cell {index}: {Cells[index].Name})"), Cells[index].Name);
    }

    private static string DottedKey(ConfigNode root, string where, YamlNode k) =>
        k is YamlScalarNode { Value: { Length: > 0 } key } && key.Split('.').All(part => part.Length > 0) ? key
            : throw root.Error(where, $"a key at line {k.Start.Line} is not a dotted config key (such as model.width)");

    private static void Set(YamlMappingNode map, string[] path, YamlNode value)
    {
        for (int i = 0; i < path.Length - 1; i++)
        {
            var key = new YamlScalarNode(path[i]);
            if (!map.Children.TryGetValue(key, out var child) || child is not YamlMappingNode next)
                map.Children[key] = next = new YamlMappingNode();
            map = next;
        }
        map.Children[new YamlScalarNode(path[^1])] = value;
    }

    /// <summary>
    /// Checks every cell against its data (<see cref="Experiment.Build"/>: data sets, classes, sizes, shapes) before any cell
    /// starts; the first problem is an <see cref="InputException"/> naming the sweep file, the cell and the key. Writes nothing.
    /// </summary>
    public void Validate(Action<string>? log = null)
    {
        var data = new DataCache();
        foreach (var cell in Cells) Experiment.Build(CellConfig(cell.Index), log, data);
    }

    /// <summary>The run folder of a cell.</summary>
    public RunFolder Run(int index) => new(Path.Combine(Folder, Cells[index].Name));

    /// <summary>Writes sweep.yaml (a copy) and cells.json into the sweep folder.</summary>
    public void WriteFolder()
    {
        Directory.CreateDirectory(Folder);
        AtomicFile.WriteText(Path.Combine(Folder, "sweep.yaml"), File.ReadAllText(Source));
        AtomicFile.WriteText(Path.Combine(Folder, "cells.json"), JsonSerializer.Serialize(
            Cells.Select(c => new Dictionary<string, object> { ["index"] = c.Index, ["name"] = c.Name, ["params"] = c.Params.ToDictionary(kv => kv.Key, kv => ParamValue(kv.Value)) }),
            Json.Indented));
    }

    private static object ParamValue(string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) ? d : text;

    /// <summary>Runs one cell in this process: resumes its run folder when one is there, else starts it. Returns its final state.</summary>
    public string RunCell(int index, Action<RunEvent>? observe = null, CancellationToken stop = default)
    {
        var run = Run(index);
        var experiment = File.Exists(run.Config) ? null
            : Experiment.Build(CellConfig(index), message => observe?.Invoke(new RunEvent("message", 0, 0, 0, 0, 0, Message: message)));
        WriteFolder();
        if (experiment is null) Runner.Resume(run.Path, observe, stop);
        else Runner.StartOrResume(experiment, run.Path, observe, stop);
        return run.ReadState() ?? "unknown";
    }

    /// <summary>Per cell: "pending" (no run folder yet) or the state in its status.json.</summary>
    public IReadOnlyList<string> States() => Cells.Select(c => State(c.Index)).ToList();

    /// <summary>
    /// A cell's state: "pending" (no run folder yet), the state in its status.json, or "interrupted" for a run whose status says
    /// running but whose lease nobody holds (its process died: running the sweep again resumes it).
    /// </summary>
    public string State(int index)
    {
        var run = Run(index);
        string state;
        try { state = run.ReadState() ?? (Directory.Exists(run.Path) ? "interrupted" : "pending"); }
        catch (InputException) { state = "interrupted"; }
        return state is "running" && RunLease.HeldBy(run.Path) is null ? "interrupted" : state;
    }
}
