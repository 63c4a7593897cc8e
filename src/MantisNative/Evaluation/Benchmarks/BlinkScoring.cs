namespace MantisNative.Evaluation.Benchmarks;

/// <summary>
/// BLINK's answer reading (BLINK_Benchmark eval/test_benchmark.py analyze_answer, the jdf-prog fork the paper used):
/// the whole output "A".."E" or "(A)".."(E)"; else the one "(X)" token among the output's whitespace-separated
/// tokens (the last paragraph's one winning when both have exactly one); else the reference asks GPT-3.5 to match the
/// output to an option. That step is not reproducible, so <see cref="ExtractDeterministic"/> stands in for it.
/// </summary>
public static class BlinkScoring
{
    /// <summary>Answer of the "no option matched" case (the reference's GPT prompt returns "(Z)" too).</summary>
    public const string NoMatch = "(Z)";

    /// <summary>"(A)", "(B)", ... for the item's number of choices.</summary>
    public static string[] AllChoices(int count) => Enumerable.Range(0, count).Select(i => $"({(char)('A' + i)})").ToArray();

    /// <summary>The exact-letter rules: "B" gives "(B)", "(B)" gives itself (A..E only, as the reference lists them); null otherwise.</summary>
    public static string? ExactLetter(string output)
    {
        if (output.Length == 1 && output[0] is >= 'A' and <= 'E') return $"({output})";
        if (output.Length == 3 && output[0] == '(' && output[2] == ')' && output[1] is >= 'A' and <= 'E') return output;
        return null;
    }

    /// <summary>
    /// The token rule: the choices among the output's tokens, and among its last paragraph's ("\n\n"-separated); null when
    /// the reference would fall back to extraction (neither has exactly one, or the output has none at all).
    /// </summary>
    public static string? SingleToken(string output, int choiceCount)
    {
        var choices = AllChoices(choiceCount);
        var all = Tokens(output).Intersect(choices).ToList();
        var lastParagraph = output.Split("\n\n")[^1];
        var last = Tokens(lastParagraph).Intersect(choices).ToList();
        if ((all.Count != 1 && last.Count != 1) || all.Count < 1) return null;
        return last.Count == 1 ? last[0] : all[0];
    }

    /// <summary>
    /// Deterministic stand-in for the GPT-3.5 extraction: (1) an output that starts with a choice letter followed by
    /// ".", ")" or ":" (or the letter alone before a space) picks it; (2) else the one choice whose text the output
    /// contains (case-insensitive; when several do, the longest text, if it is unique); (3) else "(Z)", no option.
    /// </summary>
    public static string ExtractDeterministic(string output, IReadOnlyList<string> choices)
    {
        var o = output.Trim();
        if (o.Length >= 2 && o[0] >= 'A' && o[0] < 'A' + choices.Count && o[1] is '.' or ')' or ':' or ' ')
            return $"({o[0]})";
        var lower = o.ToLowerInvariant();
        var hits = choices.Select((c, i) => (Text: c.Trim(), Index: i))
            .Where(c => c.Text.Length > 0 && lower.Contains(c.Text.ToLowerInvariant(), StringComparison.Ordinal)).ToList();
        if (hits.Count == 0) return NoMatch;
        int longest = hits.Max(h => h.Text.Length);
        var best = hits.Where(h => h.Text.Length == longest).ToList();
        return best.Count == 1 ? $"({(char)('A' + best[0].Index)})" : NoMatch;
    }

    /// <summary>The prediction BLINK scores: exact letter, single token, else the deterministic extraction.</summary>
    public static string Predict(string output, IReadOnlyList<string> choices) =>
        ExactLetter(output) ?? SingleToken(output, choices.Count) ?? ExtractDeterministic(output, choices);

    /// <summary>BLINK's verdict: the prediction equals the reference ("(A)").</summary>
    public static BenchmarkScore Score(string output, string reference, IReadOnlyList<string> choices)
    {
        var p = Predict(output, choices);
        return new BenchmarkScore(p, p == reference);
    }

    /// <summary>Python's str.split(): runs of whitespace, no empty tokens.</summary>
    private static string[] Tokens(string s) => s.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
}
