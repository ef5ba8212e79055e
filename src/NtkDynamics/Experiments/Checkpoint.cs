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

    /// <summary>Restores weights, momentum, reference kernels and the strategy's state; returns the saved state.</summary>
    public static CheckpointState Load(string dir, Model model, Sgd optimizer, KernelTracker tracker, IStrategy strategy)
    {
        string modelFile = Path.Combine(dir, "model.safetensors");
        var saved = SafeTensors.ReadArrays(modelFile);
        model.LoadStateDict(saved.Arrays.ToDictionary(a => a.Key, a => a.Value.ToTensor()), modelFile);
        model.LoadRandomState(saved.Metadata.Where(m => m.Key.StartsWith(RandomStateKey, StringComparison.Ordinal))
            .ToDictionary(m => m.Key[RandomStateKey.Length..], m => RandomWords(m.Value, modelFile)), modelFile);
        optimizer.Buffers.Clear();
        foreach (var (name, t) in SafeTensors.Read(Path.Combine(dir, "optimizer.safetensors"))) optimizer.Buffers[name] = t.Data;
        var kernels = SafeTensors.ReadArrays(Path.Combine(dir, "kernels.safetensors")).Arrays;
        double[]? K(string key) => kernels.TryGetValue(key, out var a) ? a.ToDouble() : null;
        tracker.Initial = K("initial"); tracker.AtSwitch = K("switch"); tracker.Previous = K("previous");
        tracker.TaskEnd.Clear();
        foreach (var (key, a) in kernels.Where(kv => kv.Key.StartsWith("task_end_")))
            tracker.TaskEnd[int.Parse(key["task_end_".Length..], System.Globalization.CultureInfo.InvariantCulture)] = a.ToDouble();
        string strategyFile = Path.Combine(dir, "strategy.safetensors");
        strategy.LoadState(SafeTensors.ReadArrays(strategyFile).Arrays, strategyFile);
        var state = JsonSerializer.Deserialize<CheckpointState>(File.ReadAllText(Path.Combine(dir, "state.json")))
            ?? throw new InputException($"{dir}/state.json: empty");
        tracker.PreviousStep = state.PreviousStep; tracker.PreviousEpoch = state.PreviousEpoch; tracker.SwitchTask = state.SwitchTask;
        return state;
    }
}
