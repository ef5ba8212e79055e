using System.Text.Json;
using NtkDynamics.Formats;
using NtkDynamics.Nn;
using NtkDynamics.Strategies;
using NtkDynamics.Tensors;

namespace NtkDynamics.Experiments;

/// <summary>Everything besides weights, momentum and reference kernels that a resumed run needs to continue exactly.</summary>
public sealed record CheckpointState
{
    public int Step { get; init; }
    public int PreviousStep { get; init; }
    public double PreviousEpoch { get; init; }
    public int SwitchTask { get; init; }
    public double LossSum { get; init; }
    public int LossCount { get; init; }
    public List<double[]> AccuracyMatrix { get; init; } = [];
    /// <summary>Accuracy on every task at step 0 (the randomly initialised model; forward transfer's reference).</summary>
    public double[]? InitialAccuracy { get; init; }
    public double TrainSeconds { get; init; }
    public double NtkSeconds { get; init; }
    public double EvalSeconds { get; init; }
    public int NtkMeasurements { get; init; }
}

/// <summary>
/// checkpoints/step_NNNNNN/: model.safetensors (PyTorch names and layouts; Dropout's generator states in its metadata), optimizer.safetensors (momentum buffers),
/// kernels.safetensors (Θ_0, Θ_switch, Θ_prev and each finished task's probe block at its end, in float64),
/// strategy.safetensors (the strategy's buffer, Fisher, old model, random state) and state.json. Written into a temporary folder that is renamed
/// whole, then `latest` is updated atomically; only the newest `keep` are kept. A kill at any moment leaves the previous one intact.
/// </summary>
public static class Checkpoint
{
    public static void Save(RunFolder run, Model model, Sgd optimizer, KernelTracker tracker, IStrategy strategy, CheckpointState state, int keep)
    {
        Directory.CreateDirectory(run.Checkpoints);
        string name = $"step_{state.Step:D6}", final = Path.Combine(run.Checkpoints, name), tmp = final + ".tmp";
        if (Directory.Exists(tmp)) Directory.Delete(tmp, true);
        Directory.CreateDirectory(tmp);
        var metadata = new Dictionary<string, string> { ["architecture"] = model.Description, ["parametrisation"] = model.Parametrisation.Name };
        foreach (var (node, words) in model.RandomState()) metadata[RandomStateKey + node] = string.Join(" ", words.Select(w => w.ToString("x16")));
        SafeTensors.Write(Path.Combine(tmp, "model.safetensors"), model.StateDict(), metadata);
        var parameters = model.Parameters.ToDictionary(p => p.Name);
        SafeTensors.Write(Path.Combine(tmp, "optimizer.safetensors"),
            optimizer.Buffers.ToDictionary(kv => kv.Key, kv => new Tensor(kv.Value, parameters[kv.Key].Value.Shape)));
        var kernels = new Dictionary<string, NdArray>();
        foreach (var (key, k) in new[] { ("initial", tracker.Initial), ("switch", tracker.AtSwitch), ("previous", tracker.Previous) })
            if (k is not null) kernels[key] = new NdArray(k, k.Length);
        foreach (var (task, k) in tracker.TaskEnd) kernels[$"task_end_{task}"] = new NdArray(k, k.Length);
        SafeTensors.WriteArrays(Path.Combine(tmp, "kernels.safetensors"), kernels);
        SafeTensors.WriteArrays(Path.Combine(tmp, "strategy.safetensors"), strategy.SaveState(),
            new Dictionary<string, string> { ["strategy"] = strategy.Kind });
        AtomicFile.WriteText(Path.Combine(tmp, "state.json"), JsonSerializer.Serialize(state, Json.Indented));
        AtomicFile.WriteText(Path.Combine(tmp, Sums), string.Concat(Files.Select(f => $"{Sha256(Path.Combine(tmp, f))}  {f}\n")));
        if (Directory.Exists(final)) Directory.Delete(final, true);
        Directory.Move(tmp, final);
        AtomicFile.WriteText(Path.Combine(run.Checkpoints, "latest"), name + "\n");
        foreach (var old in Directory.GetDirectories(run.Checkpoints, "step_*").Where(d => !d.EndsWith(".tmp")).Order().SkipLast(keep))
            Directory.Delete(old, true);
    }

    // model.safetensors' metadata key of a random layer's generator state (Dropout's): "random_state.{node}" = 4 words in hex.
    private const string RandomStateKey = "random_state.";

    private static ulong[] RandomWords(string text, string file)
    {
        var words = text.Split(' ');
        var state = new ulong[words.Length];
        for (int i = 0; i < words.Length; i++)
            if (!ulong.TryParse(words[i], System.Globalization.NumberStyles.AllowHexSpecifier, null, out state[i]))
                throw new InputException($"{file}: a random state '{text}' is not 4 hexadecimal words");
        return state;
    }

    /// <summary>The newest complete checkpoint's folder, or null.</summary>
    public static string? Latest(RunFolder run)
    {
        string latest = Path.Combine(run.Checkpoints, "latest");
        if (!File.Exists(latest)) return null;
        string dir = Path.Combine(run.Checkpoints, File.ReadAllText(latest).Trim());
        return Directory.Exists(dir) ? dir : null;
    }

    private const string Sums = "sha256sums";
    private static readonly string[] Files = ["model.safetensors", "optimizer.safetensors", "kernels.safetensors", "strategy.safetensors", "state.json"];

    private static string Sha256(string file)
    {
        using var stream = File.OpenRead(file);
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(stream));
    }

    /// <summary>
    /// Checks every file against sha256sums (in the format `sha256sum -c` reads), so a flipped bit anywhere is an error
    /// naming the file rather than a silently different resumed run. A checkpoint written before the sums existed has none.
    /// </summary>
    private static void Verify(string dir)
    {
        string sums = Path.Combine(dir, Sums);
        if (!File.Exists(sums)) return;
        var listed = new Dictionary<string, string>();
        foreach (string line in File.ReadAllLines(sums))
        {
            string[] parts = line.Split("  ", 2);
            if (parts.Length != 2 || parts[0].Length != 64 || !Files.Contains(parts[1]))
                throw new InputException($"{sums}: damaged line '{line}' (expected '<sha256>  <file>' for {string.Join(", ", Files)})");
            listed[parts[1]] = parts[0];
        }
        foreach (string f in Files)
        {
            string path = Path.Combine(dir, f);
            if (!listed.TryGetValue(f, out string? want)) throw new InputException($"{sums}: has no line for {f}");
            if (!File.Exists(path)) throw new InputException($"{path}: missing from the checkpoint");
            if (Sha256(path) != want) throw new InputException($"{path}: damaged (its SHA-256 differs from the one in {Sums}); resume from an earlier checkpoint");
        }
    }

    /// <summary>
    /// Restores weights, momentum, reference kernels and the strategy's state; returns the saved state. A damaged file is an
    /// <see cref="InputException"/> naming it.
    /// </summary>
    public static CheckpointState Load(string dir, Model model, Sgd optimizer, KernelTracker tracker, IStrategy strategy)
    {
        Verify(dir);
        string modelFile = Path.Combine(dir, "model.safetensors");
        var saved = SafeTensors.ReadArrays(modelFile);
        model.LoadStateDict(saved.Arrays.ToDictionary(a => a.Key, a => a.Value.ToTensor()), modelFile);
        model.LoadRandomState(saved.Metadata.Where(m => m.Key.StartsWith(RandomStateKey, StringComparison.Ordinal))
            .ToDictionary(m => m.Key[RandomStateKey.Length..], m => RandomWords(m.Value, modelFile)), modelFile);
        string optimizerFile = Path.Combine(dir, "optimizer.safetensors");
        var parameters = model.Parameters.ToDictionary(p => p.Name);
        var buffers = SafeTensors.Read(optimizerFile);
        foreach (var (name, t) in buffers)
            if (!parameters.TryGetValue(name, out var p) || p.Value.Data.Length != t.Data.Length)
                throw new InputException($"{optimizerFile}: buffer '{name}' of {t.Data.Length} values matches no parameter of {model.Description}");
        optimizer.Buffers.Clear();
        foreach (var (name, t) in buffers) optimizer.Buffers[name] = t.Data;
        string kernelFile = Path.Combine(dir, "kernels.safetensors");
        var kernels = SafeTensors.ReadArrays(kernelFile).Arrays;
        // Θ_0, Θ_switch and Θ_prev are the same square probe kernel (a finished task's block is smaller).
        string[] whole = ["initial", "switch", "previous"];
        int size = kernels.Where(kv => whole.Contains(kv.Key)).Select(kv => kv.Value.Length).DefaultIfEmpty(0).First(), side = (int)Math.Round(Math.Sqrt(size));
        foreach (var (key, a) in kernels.Where(kv => whole.Contains(kv.Key)))
            if (a.Length != size || side * side != size)
                throw new InputException($"{kernelFile}: '{key}' has {a.Length} values, expected the same square kernel as the others");
        double[]? K(string key) => kernels.TryGetValue(key, out var a) ? a.ToDouble() : null;
        tracker.Initial = K("initial"); tracker.AtSwitch = K("switch"); tracker.Previous = K("previous");
        tracker.TaskEnd.Clear();
        foreach (var (key, a) in kernels.Where(kv => kv.Key.StartsWith("task_end_")))
            tracker.TaskEnd[int.TryParse(key["task_end_".Length..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int task) ? task
                : throw new InputException($"{kernelFile}: '{key}' names no task")] = a.ToDouble();
        string strategyFile = Path.Combine(dir, "strategy.safetensors");
        strategy.LoadState(SafeTensors.ReadArrays(strategyFile).Arrays, strategyFile);
        string stateFile = Path.Combine(dir, "state.json");
        CheckpointState state;
        try
        {
            state = JsonSerializer.Deserialize<CheckpointState>(File.ReadAllText(stateFile)) ?? throw new InputException($"{stateFile}: empty");
        }
        catch (JsonException e) { throw new InputException($"{stateFile}: not a checkpoint state ({e.Message})"); }
        tracker.PreviousStep = state.PreviousStep; tracker.PreviousEpoch = state.PreviousEpoch; tracker.SwitchTask = state.SwitchTask;
        return state;
    }
}
