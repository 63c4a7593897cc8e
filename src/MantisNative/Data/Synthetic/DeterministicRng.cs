namespace MantisNative.Data.Synthetic;

/// <summary>
/// xoshiro256** seeded through SplitMix64. Our own generator because System.Random's algorithm is not
/// guaranteed across .NET versions, and the synthetic set must be byte-identical for a seed forever.
/// </summary>
public sealed class DeterministicRng
{
    // the xoshiro256** core is the engine's own generator; this class adds the data generator's helpers
    private readonly MantisNative.Tensors.Rng _core;

    public DeterministicRng(ulong seed) => _core = new MantisNative.Tensors.Rng(seed);

    /// <summary>An independent stream for one item (e.g. example <paramref name="index"/> of split <paramref name="stream"/>),
    /// so items can be generated in any order or in parallel and still come out the same.</summary>
    public static DeterministicRng For(ulong seed, ulong stream, ulong index)
    {
        ulong a = seed;
        ulong h = SplitMix64(ref a);
        ulong b = h ^ (stream * 0x9E3779B97F4A7C15UL);
        h = SplitMix64(ref b);
        ulong c = h ^ index;
        return new DeterministicRng(SplitMix64(ref c));
    }

    public static ulong SplitMix64(ref ulong state) => MantisNative.Tensors.Rng.SplitMix(ref state);

    public ulong NextUInt64() => _core.NextUInt64();

    /// <summary>Uniform in [0, n) without modulo bias.</summary>
    public int Next(int n)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n));
        ulong un = (ulong)n;
        ulong limit = ulong.MaxValue - ulong.MaxValue % un;
        ulong x;
        do x = NextUInt64(); while (x >= limit);
        return (int)(x % un);
    }

    /// <summary>Uniform in [lo, hi] (both included).</summary>
    public int Range(int lo, int hi) => lo + Next(hi - lo + 1);

    public bool Coin() => (NextUInt64() >> 63) != 0;

    public T Pick<T>(IReadOnlyList<T> items) => items[Next(items.Count)];

    /// <summary>Fisher-Yates, in place.</summary>
    public void Shuffle<T>(IList<T> items)
    {
        for (int i = items.Count - 1; i > 0; i--)
        {
            int j = Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary>k distinct values from [0, n), in random order.</summary>
    public int[] Distinct(int n, int k)
    {
        var all = Enumerable.Range(0, n).ToArray();
        Shuffle(all);
        return all[..k];
    }
}
