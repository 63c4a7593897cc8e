using MantisNative.Diagnostics;
using NUnit.Framework;

namespace MantisNative.Tests.Cuda;

/// <summary>gpu-check's greedy-ids rule: exact for fp32, a divergence accepted on a bf16 target only at a step where the
/// reference's two logits are within two bf16 ulps (tiny-clip-llama's step 2: 2.3624 vs 2.3575, the same bf16 value).</summary>
public class GreedyIdsCheckTests
{
    private static float[] Steps(params (int Id, float Logit)[][] steps)
    {
        var l = new float[steps.Length * 8];
        for (int s = 0; s < steps.Length; s++)
            foreach (var (id, v) in steps[s]) l[s * 8 + id] = v;
        return l;
    }

    private static readonly float[] Logits = Steps(
        new[] { (1, 3.0f), (2, 2.5f) },
        new[] { (3, 2.3624f), (4, 2.3575f) },     // a tie at bf16 resolution
        new[] { (5, 2.0f), (6, 1.5f) });

    [Test]
    public void EqualIdsPass() =>
        Assert.That(GreedyIdsCheck.Compare(new[] { 1, 3, 5 }, new[] { 1, 3, 5 }, Logits, bf16: true).Passed, Is.True);

    [Test]
    public void ABf16TieIsAcceptedAndEndsTheComparison()
    {
        var (passed, _, note) = GreedyIdsCheck.Compare(new[] { 1, 4, 7 }, new[] { 1, 3, 5 }, Logits, bf16: true);
        Assert.That(passed, Is.True, note);
        Assert.That(note, Does.Contain("tie at step 1"));
    }

    [Test]
    public void TheSameDivergenceFailsOnAnFp32Target() =>
        Assert.That(GreedyIdsCheck.Compare(new[] { 1, 4, 7 }, new[] { 1, 3, 5 }, Logits, bf16: false).Passed, Is.False);

    [Test]
    public void ADivergenceWithAClearMarginFails()
    {
        var (passed, differ, _) = GreedyIdsCheck.Compare(new[] { 2, 3, 5 }, new[] { 1, 3, 5 }, Logits, bf16: true);   // 3.0 vs 2.5
        Assert.That(passed, Is.False);
        Assert.That(differ, Is.EqualTo(1));
    }

    [Test]
    public void WithoutStepLogitsIdsMustMatch() =>
        Assert.That(GreedyIdsCheck.Compare(new[] { 1, 4, 7 }, new[] { 1, 3, 5 }, null, bf16: true).Passed, Is.False);

    [Test]
    public void AShortOrLongSequenceFails()
    {
        Assert.That(GreedyIdsCheck.Compare(new[] { 1, 3 }, new[] { 1, 3, 5 }, Logits, bf16: true).Passed, Is.False);
        Assert.That(GreedyIdsCheck.Compare(new[] { 1, 3, 5, 6 }, new[] { 1, 3, 5 }, Logits, bf16: true).Passed, Is.False);
    }
}
