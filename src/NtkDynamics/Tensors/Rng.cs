namespace NtkDynamics.Tensors;

/// <summary>
/// A seeded random generator (xoshiro256**, seeded by splitmix64): the same seed gives the same
/// stream on every machine. Its whole state can be saved and restored for crash-safe resume.
/// </summary>
public sealed class Rng
{
    private ulong _s0, _s1, _s2, _s3;

    public Rng(ulong seed)
    {
        ulong x = seed;
        _s0 = SplitMix(ref x); _s1 = SplitMix(ref x); _s2 = SplitMix(ref x); _s3 = SplitMix(ref x);
    }

    private static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public ulong NextUInt64()
    {
        ulong result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0; _s3 ^= _s1; _s1 ^= _s2; _s0 ^= _s3; _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform integer in [0, n), without modulo bias.</summary>
    public int NextInt(int n)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n), n, "must be positive");
        ulong bound = (ulong)n, threshold = (0UL - bound) % bound;
        while (true)
        {
            ulong r = NextUInt64();
            if (r >= threshold) return (int)(r % bound);
        }
    }

    /// <summary>Standard normal by Box-Muller (no cached second value, so the state is the four words).</summary>
    public double NextNormal()
    {
        double u1 = 1.0 - NextDouble(), u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    public void FillNormal(Span<float> x, double std)
    {
        for (int i = 0; i < x.Length; i++) x[i] = (float)(NextNormal() * std);
    }

    public void FillUniform(Span<float> x, double low, double high)
    {
        for (int i = 0; i < x.Length; i++) x[i] = (float)(low + (high - low) * NextDouble());
    }

    /// <summary>Fisher-Yates shuffle in place.</summary>
    public void Shuffle<T>(Span<T> items)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary>A generator for an independent sub-stream (e.g. one per task), derived from this one.</summary>
    public Rng Fork() => new(NextUInt64());

    /// <summary>The full state, to save in a checkpoint.</summary>
    public ulong[] GetState() => [_s0, _s1, _s2, _s3];

    public static Rng FromState(ReadOnlySpan<ulong> state)
    {
        if (state.Length != 4) throw new ArgumentException("an Rng state has 4 words");
        var r = new Rng(0);
        r._s0 = state[0]; r._s1 = state[1]; r._s2 = state[2]; r._s3 = state[3];
        return r;
    }
}
