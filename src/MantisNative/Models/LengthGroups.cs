namespace MantisNative.Models;

/// <summary>
/// Splits the rows of a right-padded batch into groups of similar length, each padded only to its own longest row,
/// so a training forward computes fewer padded positions. On the synthetic skills set a row is 62-168 positions
/// (one to four images of 16 features plus text): one padded batch of 32 is ~36 % padding, at most four groups ~3 %.
/// The split is chosen by dynamic programming over the rows sorted by length, minimising the padded positions plus
/// <see cref="GroupCostPositions"/> for each group. It is deterministic: the same lengths give the same groups.
/// </summary>
public static class LengthGroups
{
    /// <summary>
    /// What one more group costs, in positions: its own pass through every layer (thread fork/joins, launches, GEMM
    /// edges), so two groups whose lengths differ by a few positions stay one.
    /// </summary>
    public const int GroupCostPositions = 64;

    /// <summary>Rows of the batch (ascending) and the length they are cut to.</summary>
    public sealed record Group(int[] Rows, int Length);

    /// <summary>
    /// Groups of <paramref name="rows"/> (indices into <paramref name="lengths"/>, each length at least 1), at most
    /// <paramref name="maxGroups"/>, shortest group first.
    /// </summary>
    public static IReadOnlyList<Group> Plan(IReadOnlyList<int> rows, IReadOnlyList<int> lengths, int maxGroups)
    {
        if (maxGroups < 1) throw new ArgumentOutOfRangeException(nameof(maxGroups), $"at least one group, got {maxGroups}");
        int n = rows.Count;
        if (n == 0) return Array.Empty<Group>();
        // sorted by length, ties by row index: the split never depends on the order rows came in
        var sorted = rows.OrderBy(r => lengths[r]).ThenBy(r => r).ToArray();
        int k = Math.Min(maxGroups, n);
        // cost[j, i]: the best cost of the first i sorted rows in j groups; a group of sorted rows p..i-1 pads to the length of row i-1
        var cost = new long[k + 1, n + 1];
        var from = new int[k + 1, n + 1];
        for (int j = 0; j <= k; j++)
            for (int i = 0; i <= n; i++) cost[j, i] = long.MaxValue;
        cost[0, 0] = 0;
        for (int j = 1; j <= k; j++)
            for (int i = j; i <= n; i++)
            {
                long len = lengths[sorted[i - 1]];
                for (int p = j - 1; p < i; p++)
                {
                    if (cost[j - 1, p] == long.MaxValue) continue;
                    long c = cost[j - 1, p] + len * (i - p) + GroupCostPositions;
                    if (c < cost[j, i]) { cost[j, i] = c; from[j, i] = p; }
                }
            }
        int best = 1;
        for (int j = 2; j <= k; j++)
            if (cost[j, n] < cost[best, n]) best = j;
        var groups = new Group[best];
        for (int j = best, end = n; j >= 1; j--)
        {
            int start = from[j, end];
            var members = sorted[start..end];
            Array.Sort(members);
            groups[j - 1] = new Group(members, lengths[sorted[end - 1]]);
            end = start;
        }
        return groups;
    }
}
