namespace MantisNative.IO;

/// <summary>Chooses the shard size limit that splits a checkpoint into a given number of files.</summary>
public static class ShardPlan
{
    /// <summary>
    /// The smallest limit for which <see cref="SafetensorsWriter.SaveSharded"/>'s greedy split gives at most
    /// <paramref name="shards"/> files (fewer only when single large tensors leave no other split).
    /// </summary>
    /// <param name="sizesInNameOrder">tensor byte sizes sorted by tensor name (ordinal), the order SaveSharded fills shards in</param>
    public static long MaxShardBytesFor(IEnumerable<long> sizesInNameOrder, int shards)
    {
        var sizes = sizesInNameOrder.ToArray();
        long lo = Math.Max(1, sizes.DefaultIfEmpty(1).Max()), hi = Math.Max(lo, sizes.Sum());
        while (lo < hi)
        {
            long mid = lo + (hi - lo) / 2;
            if (CountShards(sizes, mid) <= shards) hi = mid; else lo = mid + 1;
        }
        return lo;
    }

    /// <summary>How many files SaveSharded writes for these sizes under <paramref name="maxShardBytes"/>.</summary>
    public static int CountShards(IReadOnlyList<long> sizesInNameOrder, long maxShardBytes)
    {
        int n = 0;
        long current = 0;
        foreach (var s in sizesInNameOrder)
        {
            if (n == 0 || (current + s > maxShardBytes && current > 0)) { n++; current = 0; }
            current += s;
        }
        return Math.Max(1, n);
    }
}
