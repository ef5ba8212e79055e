using NtkDynamics.Tensors;

namespace NtkDynamics.Nn;

/// <summary>
/// A backward pass's gradient buffers, reused as soon as the gradient in them is dead: a pass holds only the gradients still
/// to be consumed (a few of the largest), not one buffer per node (a ResNet-18 eNTK pass over 320 rows: ~770 MB).
/// Buffers are counted by the pass's slots that hold them (a layer may give its output gradient on unchanged, to several
/// inputs); one nobody holds goes back to the free list of its length, for the next gradient of that size.
/// </summary>
internal sealed class GradientPool
{
    private readonly Dictionary<int, Stack<float[]>> _free = [];
    private readonly Dictionary<float[], int> _holders = new(ReferenceEqualityComparer.Instance);

    /// <summary>A buffer of <paramref name="shape"/> (its values are stale) that nobody holds yet.</summary>
    public Tensor Rent(int[] shape)
    {
        int length = Tensor.Count(shape);
        var data = _free.TryGetValue(length, out var stack) && stack.Count > 0 ? stack.Pop() : GC.AllocateUninitializedArray<float>(length);
        _holders[data] = 0;
        return new Tensor(data, shape);
    }

    /// <summary>One more slot holds <paramref name="t"/> (nothing when it is not the pool's).</summary>
    public void Hold(Tensor t)
    {
        if (_holders.TryGetValue(t.Data, out int n)) _holders[t.Data] = n + 1;
    }

    /// <summary>A slot lets go of <paramref name="t"/>; the last one gives it back.</summary>
    public void Release(Tensor t)
    {
        if (!_holders.TryGetValue(t.Data, out int n)) return;
        if (n > 1) _holders[t.Data] = n - 1;
        else GiveBack(t.Data);
    }

    /// <summary>Gives <paramref name="t"/> back if it is the pool's and no slot holds it (rented, then not taken, or only added into a sum).</summary>
    public void ReleaseUnheld(Tensor t)
    {
        if (_holders.TryGetValue(t.Data, out int n) && n == 0) GiveBack(t.Data);
    }

    private void GiveBack(float[] data)
    {
        _holders.Remove(data);
        if (!_free.TryGetValue(data.Length, out var stack)) _free[data.Length] = stack = new Stack<float[]>();
        stack.Push(data);
    }

    /// <summary>Forgets who holds what (the end of a pass: the caller keeps the input gradient, which stays out of the pool).</summary>
    public void Forget() => _holders.Clear();
}
