using MantisNative.Models;
using NUnit.Framework;

namespace MantisNative.Tests.Models;

/// <summary>
/// The length-group planner: every row lands in exactly one group cut to its longest row, and the split is the
/// cheapest of all splits into at most k groups (checked by enumerating every set partition of small batches).
/// </summary>
public class LengthGroupsTests
{
    private static long Cost(IEnumerable<IReadOnlyList<int>> groups, IReadOnlyList<int> lengths) =>
        groups.Sum(g => (long)g.Max(r => lengths[r]) * g.Count + LengthGroups.GroupCostPositions);

    [Test]
    public void EveryRowIsInOneGroupCutToItsLongestRow()
    {
        var lengths = new[] { 168, 134, 97, 124, 95, 134, 62, 62, 91, 164, 63, 96 };
        var rows = Enumerable.Range(0, lengths.Length).ToArray();
        var groups = LengthGroups.Plan(rows, lengths, 4);
        Assert.That(groups.SelectMany(g => g.Rows).OrderBy(r => r), Is.EqualTo(rows));
        foreach (var g in groups)
        {
            Assert.That(g.Length, Is.EqualTo(g.Rows.Max(r => lengths[r])));
            Assert.That(g.Rows, Is.Ordered);
        }
        Assert.That(groups.Select(g => g.Length), Is.Ordered.And.Unique, "shortest group first");
        Assert.That(groups.Count, Is.GreaterThan(1), "these lengths (62-168) are worth splitting");
    }

    [Test]
    public void EqualLengthsStayOneGroupAndOneGroupIsTheWholeBatch()
    {
        Assert.That(LengthGroups.Plan(new[] { 0, 1, 2 }, new[] { 90, 90, 90 }, 4).Count, Is.EqualTo(1));
        var one = LengthGroups.Plan(new[] { 2, 0 }, new[] { 10, 50, 200 }, 1);
        Assert.That(one.Single().Rows, Is.EqualTo(new[] { 0, 2 }));
        Assert.That(one.Single().Length, Is.EqualTo(200));
        Assert.That(LengthGroups.Plan(Array.Empty<int>(), new[] { 5 }, 4), Is.Empty);
        Assert.Throws<ArgumentOutOfRangeException>(() => LengthGroups.Plan(new[] { 0 }, new[] { 5 }, 0));
    }

    [Test]
    public void ThePlanIsTheCheapestSplitOfAllSetPartitions()
    {
        var rng = new Random(7);
        for (int trial = 0; trial < 60; trial++)
        {
            int n = rng.Next(1, 8), k = rng.Next(1, 5);
            var lengths = Enumerable.Range(0, n).Select(_ => rng.Next(1, 4) * 60 + rng.Next(0, 40)).ToArray();
            var rows = Enumerable.Range(0, n).OrderBy(_ => rng.Next()).ToArray();
            var plan = LengthGroups.Plan(rows, lengths, k);
            long best = Partitions(rows.ToList()).Where(p => p.Count <= k).Min(p => Cost(p, lengths));
            Assert.That(Cost(plan.Select(g => (IReadOnlyList<int>)g.Rows), lengths), Is.EqualTo(best), $"lengths {string.Join(",", lengths)}, k {k}");
            Assert.That(plan.Count, Is.LessThanOrEqualTo(k));
            // the same rows in another order give the same groups
            var again = LengthGroups.Plan(rows.Reverse().ToArray(), lengths, k);
            Assert.That(again.Select(g => g.Rows), Is.EqualTo(plan.Select(g => g.Rows)));
        }
    }

    private static IEnumerable<List<IReadOnlyList<int>>> Partitions(List<int> items)
    {
        if (items.Count == 0) { yield return new List<IReadOnlyList<int>>(); yield break; }
        int first = items[0];
        foreach (var rest in Partitions(items.Skip(1).ToList()))
        {
            for (int i = 0; i < rest.Count; i++)
            {
                var copy = rest.Select(g => g).ToList();
                copy[i] = rest[i].Append(first).ToList();
                yield return copy;
            }
            yield return rest.Append(new List<int> { first }).ToList();
        }
    }
}
