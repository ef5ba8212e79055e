using NtkDynamics.Continual;
using NtkDynamics.Formats;
using NtkDynamics.Tensors;

namespace NtkDynamics.Strategies;

/// <summary>
/// A fixed-size memory of past training samples filled by reservoir sampling (Vitter 1985, algorithm R; Mammoth's
/// utils/buffer.py): the first <see cref="Capacity"/> samples seen fill it in order; the n-th sample after that (n counted
/// from 0 over all samples seen) replaces a uniformly chosen slot with probability capacity / (n + 1), so at any time the
/// memory is a uniform sample of everything seen. It keeps a sample's train index, task (domain) and label, and optionally
/// the logits it was stored with (DER++). Images are read back from the data set, so the memory is small and exact.
/// </summary>
public sealed class ReservoirBuffer
{
    public int Capacity { get; }

    /// <summary>Logits stored per sample (0: none).</summary>
    public int LogitCount { get; }

    /// <summary>Samples offered so far.</summary>
    public long Seen { get; private set; }

    /// <summary>Samples held: min(Seen, Capacity).</summary>
    public int Count => (int)Math.Min(Seen, Capacity);

    private readonly int[] _index, _task, _label;
    private readonly float[] _logits;

    public ReservoirBuffer(int capacity, int logitCount = 0)
    {
        if (capacity < 1) throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "a buffer holds at least one sample");
        Capacity = capacity; LogitCount = logitCount;
        _index = new int[capacity]; _task = new int[capacity]; _label = new int[capacity];
        _logits = new float[capacity * logitCount];
    }

    /// <summary>Offers one sample; <paramref name="logits"/> has <see cref="LogitCount"/> values (empty when 0).</summary>
    public void Add(int index, int task, int label, ReadOnlySpan<float> logits, Rng rng)
    {
        if (logits.Length != LogitCount) throw new ArgumentException($"{logits.Length} logits for a buffer that stores {LogitCount}");
        long n = Seen++;
        int slot = n < Capacity ? (int)n : rng.NextInt(checked((int)(n + 1)));
        if (slot >= Capacity) return;
        _index[slot] = index; _task[slot] = task; _label[slot] = label;
        logits.CopyTo(_logits.AsSpan(slot * LogitCount, LogitCount));
    }

    /// <summary>
    /// min(<paramref name="size"/>, Count) distinct slots drawn uniformly without replacement (as numpy's choice without
    /// replacement): the first draws of a Fisher-Yates shuffle of the held slots.
    /// </summary>
    public int[] SampleSlots(int size, Rng rng)
    {
        int count = Count, m = Math.Min(size, count);
        var slots = Enumerable.Range(0, count).ToArray();
        for (int i = 0; i < m; i++)
        {
            int j = i + rng.NextInt(count - i);
            (slots[i], slots[j]) = (slots[j], slots[i]);
        }
        return slots[..m];
    }

    /// <summary>The samples in <paramref name="slots"/> (train index and task), in that order.</summary>
    public Samples SamplesAt(int[] slots) => new([.. slots.Select(s => _index[s])], [.. slots.Select(s => _task[s])]);

    /// <summary>The stored labels of <paramref name="slots"/> (the head's numbering).</summary>
    public int[] LabelsAt(int[] slots) => [.. slots.Select(s => _label[s])];

    /// <summary>The stored logits of <paramref name="slots"/>, (slots, LogitCount).</summary>
    public Tensor LogitsAt(int[] slots)
    {
        var t = new Tensor(slots.Length, LogitCount);
        for (int i = 0; i < slots.Length; i++) _logits.AsSpan(slots[i] * LogitCount, LogitCount).CopyTo(t.Rows(i, 1));
        return t;
    }

    /// <summary>The whole memory as named arrays, under <paramref name="prefix"/> (buffer.index, buffer.task, ...).</summary>
    public void Save(IDictionary<string, NdArray> state, string prefix = "buffer")
    {
        int n = Count;
        state[$"{prefix}.seen"] = new NdArray(new[] { Seen }, 1);
        if (n == 0) return;
        state[$"{prefix}.index"] = new NdArray(_index[..n], n);
        state[$"{prefix}.task"] = new NdArray(_task[..n], n);
        state[$"{prefix}.label"] = new NdArray(_label[..n], n);
        if (LogitCount > 0) state[$"{prefix}.logits"] = new NdArray(_logits[..(n * LogitCount)], n, LogitCount);
    }

    /// <summary>Restores what <see cref="Save"/> wrote; a mismatch names <paramref name="source"/>.</summary>
    public void Load(IReadOnlyDictionary<string, NdArray> state, string source, string prefix = "buffer")
    {
        NdArray Get(string key) => state.TryGetValue($"{prefix}.{key}", out var a) ? a : throw new InputException($"{source}: '{prefix}.{key}' is missing");
        long seen = Get("seen").ToInt64()[0];
        int n = (int)Math.Min(seen, Capacity);
        Seen = 0;
        if (n <= 0) return;
        long[] index = Get("index").ToInt64(), task = Get("task").ToInt64(), label = Get("label").ToInt64();
        if (seen < 0 || index.Length != n || task.Length != n || label.Length != n)
            throw new InputException($"{source}: the buffer holds {index.Length} samples but has seen {seen} with capacity {Capacity}");
        Seen = seen;
        for (int i = 0; i < n; i++) { _index[i] = (int)index[i]; _task[i] = (int)task[i]; _label[i] = (int)label[i]; }
        if (LogitCount == 0) return;
        float[] logits = Get("logits").ToFloat();
        if (logits.Length != n * LogitCount) throw new InputException($"{source}: '{prefix}.logits' has {logits.Length} values, expected {n} x {LogitCount}");
        logits.CopyTo(_logits, 0);
    }
}
