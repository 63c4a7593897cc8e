using System.Diagnostics;
using NUnit.Framework;

namespace MantisNative.Tests.Fuzz;

/// <summary>
/// The seeded, bounded fuzz run over every file format MantisNative reads (issue 16). A case may be accepted or
/// refused with a <see cref="MantisException"/>; it fails on any other exception, on running past the per-case
/// limit, and on being accepted while a tensor, field or record was silently dropped. Prints the counts.
/// </summary>
[NonParallelizable]
public class BadInputFuzzTests
{
    /// <summary>CI runs seed 16 at scale 300; MANTIS_FUZZ_SEED / MANTIS_FUZZ_SCALE run other or longer corpora locally.</summary>
    private static readonly int Seed = EnvInt("MANTIS_FUZZ_SEED", 16);
    /// <summary>Cases per unit: safetensors x3, index x1, config x3, tokenizer x1, records x1, images x2 (3,300 in all).</summary>
    private static readonly int Scale = EnvInt("MANTIS_FUZZ_SCALE", 300);

    private static int EnvInt(string name, int dflt) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), out int v) && v > 0 ? v : dflt;
    private static readonly TimeSpan PerCaseLimit = TimeSpan.FromSeconds(20);

    private enum Outcome { Accepted, ClearError, Crash, Hang, SilentDrop }

    [Test]
    public void MalformedInputsGiveAClearErrorOrAFaithfulResult()
    {
        using var corpus = new FuzzCorpus(Seed);
        var counts = new Dictionary<(string, Outcome), int>();
        var failures = new List<string>();
        var clock = Stopwatch.StartNew();
        int total = 0;
        foreach (var c in corpus.Cases(Scale))
        {
            total++;
            var (outcome, detail) = RunOne(c);
            counts[(c.Target, outcome)] = counts.GetValueOrDefault((c.Target, outcome)) + 1;
            if (outcome is Outcome.Crash or Outcome.Hang or Outcome.SilentDrop)
                failures.Add($"{c.Target}#{c.Index} {outcome}: {detail}");
            if (outcome == Outcome.Hang) break; // a stuck case holds a thread; stop here
        }
        TestContext.Out.WriteLine($"fuzz: {total} cases in {clock.Elapsed.TotalSeconds:F1} s (seed {Seed})");
        foreach (var target in counts.Keys.Select(k => k.Item1).Distinct())
            TestContext.Out.WriteLine($"  {target,-12} " + string.Join("  ", Enum.GetValues<Outcome>().Select(o => $"{o} {counts.GetValueOrDefault((target, o))}")));
        foreach (var o in Enum.GetValues<Outcome>())
            TestContext.Out.WriteLine($"  {o,-12} {counts.Where(k => k.Key.Item2 == o).Sum(k => k.Value)}");
        Assert.That(failures, Is.Empty, string.Join("\n", failures.Take(15)));
        Assert.That(counts.Where(k => k.Key.Item2 == Outcome.Accepted).Sum(k => k.Value), Is.GreaterThan(total / 20), "the mutations leave some inputs valid");
        Assert.That(counts.Where(k => k.Key.Item2 == Outcome.ClearError).Sum(k => k.Value), Is.GreaterThan(total / 4), "and break most");
    }

    private static (Outcome, string) RunOne(FuzzCase c)
    {
        var task = Task.Run(c.Run);
        try
        {
            if (!task.Wait(PerCaseLimit)) return (Outcome.Hang, $"still running after {PerCaseLimit.TotalSeconds} s");
            return task.Result is { } dropped ? (Outcome.SilentDrop, dropped) : (Outcome.Accepted, "");
        }
        catch (AggregateException e) when (e.InnerException is MantisException)
        {
            return (Outcome.ClearError, e.InnerException.Message);
        }
        catch (AggregateException e)
        {
            var inner = e.InnerException!;
            return (Outcome.Crash, $"{inner.GetType().Name}: {inner.Message} at {inner.StackTrace?.Split('\n').FirstOrDefault(l => l.Contains("MantisNative."))?.Trim()}");
        }
    }
}
