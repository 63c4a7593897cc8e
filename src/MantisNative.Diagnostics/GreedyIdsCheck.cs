namespace MantisNative.Diagnostics;

/// <summary>
/// Greedy ids of a target against the reference's. fp32 targets must match exactly. A bf16 target (bf16 logits)
/// cannot order two logits closer than its resolution: where the reference's pick and the target's differ and the
/// reference's logits for the two are within <see cref="Bf16TieUlps"/> bf16 ulps of each other (per
/// generation_step_logits), the step is a tie, the target's pick is accepted, and the rest is not compared (the
/// sequences legitimately diverge from there). Any other difference fails.
/// </summary>
internal static class GreedyIdsCheck
{
    /// <summary>Two ulps of bf16 (8 significant bits): a relative spacing of up to 2^-7 each.</summary>
    public const double Bf16TieUlps = 2;

    public static (bool Passed, int Differ, string Note) Compare(int[] got, int[] want, float[]? stepLogits, bool bf16)
    {
        int vocab = stepLogits is null || want.Length == 0 ? 0 : stepLogits.Length / want.Length;
        for (int s = 0; s < want.Length; s++)
        {
            if (s < got.Length && got[s] == want[s]) continue;
            if (bf16 && s < got.Length && vocab > 0 && got[s] >= 0 && got[s] < vocab)
            {
                double top = stepLogits![s * vocab + want[s]], alt = stepLogits[s * vocab + got[s]];
                double bound = Bf16TieUlps * Math.Abs(top) * Math.Pow(2, -7);
                if (top - alt <= bound)
                    return (true, 0, $"{s} ids equal, then a bf16 tie at step {s}: reference logits {top:F4} (id {want[s]}) vs {alt:F4} (id {got[s]}) " +
                                     $"are within {Bf16TieUlps} bf16 ulps; the rest is not compared");
            }
            int differ = Enumerable.Range(0, Math.Max(got.Length, want.Length)).Count(i => i >= got.Length || i >= want.Length || got[i] != want[i]);
            return (false, differ, $"{differ} of {want.Length} ids differ (first at step {s}): got [{string.Join(",", got)}], want [{string.Join(",", want)}]");
        }
        if (got.Length > want.Length) return (false, got.Length - want.Length, $"{got.Length - want.Length} ids more than the reference's {want.Length}");
        return (true, 0, $"{want.Length} ids equal");
    }
}
