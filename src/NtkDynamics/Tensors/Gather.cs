using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NtkDynamics.Tensors;

/// <summary>Copies picked by index, for the eNTK's pooled cotangents: entries of a patch Gram at the pooled sources, values
/// in the order of their sources' phases.</summary>
internal static unsafe class Gather
{
    // to[e] = from[at[e]] for e < count: 8 at a time by one AVX2 gather, the rest one by one.
    public static void Floats(float* from, int* at, int count, float* to)
    {
        int e = 0;
        if (Avx2.IsSupported)
            for (; e + 8 <= count; e += 8) Avx2.GatherVector256(from, Avx.LoadVector256(at + e), 4).Store(to + e);
        for (; e < count; e++) to[e] = from[at[e]];
    }
}
