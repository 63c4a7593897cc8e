namespace MantisNative.Evaluation.Benchmarks;

/// <summary>
/// The Mantis harness's scoring (mantis/benchmark/eval.py get_prediction), rule by rule, as it reads outputs on NLVR2,
/// Q-Bench2 and Mantis-Eval. Each rule is its own function so that each is tested on its own.
/// </summary>
public static class MantisHarnessScoring
{
    /// <summary>Markers tried in order; the first one present (case-insensitive) wins, and the answer is what follows its first occurrence.</summary>
    public static readonly IReadOnlyList<string> Markers = new[] { "final answer:", "the answer is", "answer:" };

    /// <summary>parse_answer: the stripped text after the first marker present, else the raw output unchanged.</summary>
    public static string ParseAnswer(string raw)
    {
        var lower = raw.ToLowerInvariant();
        foreach (var marker in Markers)
        {
            int i = lower.IndexOf(marker, StringComparison.Ordinal);
            if (i >= 0) return PyStrip(raw[(i + marker.Length)..]);
        }
        return raw;
    }

    /// <summary>get_option: "Answer: X" at the start gives X; else the first letter, upper-cased; null when there is none (the synthetic eval's rule too).</summary>
    public static char? GetOption(string answer) => AnswerParser.OptionLetter(answer);

    /// <summary>The reference letter: answer.strip('()\n '), then its first letter when longer than one character (not upper-cased).</summary>
    public static char ReferenceLetter(string reference)
    {
        var r = reference.Trim('(', ')', '\n', ' ');
        if (r.Length != 1)
            foreach (var c in r)
                if (char.IsLetter(c)) { r = c.ToString(); break; }
        if (r.Length != 1) throw new MantisException($"reference answer '{reference}' holds no option letter");
        return r[0];
    }

    /// <summary>The reference's validity test for a parsed letter: ord(letter) − ord('A') &lt; number of options.</summary>
    public static bool IsValidOption(char? letter, int optionCount) => letter is char c && c - 'A' < optionCount;

    /// <summary>The NLVR2 fallback: the output says "true" and not "false" and the reference option is true, or the reverse.</summary>
    public static bool NlvrKeywordMatch(string raw, string referenceOption) => AnswerParser.NlvrKeywordMatch(raw, referenceOption);

    /// <summary>
    /// The other datasets' fallback: the stripped raw output equals the reference option's text, with its own "L.",
    /// "L:" or "(L)" prefix removed when it has one.
    /// </summary>
    public static bool OptionTextMatch(string raw, string referenceOption, char referenceLetter)
    {
        string text = referenceOption;
        foreach (var prefix in new[] { $"{referenceLetter}.", $"{referenceLetter}:", $"({referenceLetter})" })
            if (referenceOption.StartsWith(prefix, StringComparison.Ordinal)) { text = referenceOption[prefix.Length..]; break; }
        return PyStrip(raw) == PyStrip(text);
    }

    /// <summary>A multiple-choice verdict: the parsed option if valid, else the NLVR2 or option-text fallback against the reference option.</summary>
    public static BenchmarkScore MultipleChoice(string raw, string reference, IReadOnlyList<string> options, bool nlvr2)
    {
        var answer = ParseAnswer(raw);
        char refLetter = ReferenceLetter(reference);
        var selected = GetOption(answer);
        if (IsValidOption(selected, options.Count))
            return new BenchmarkScore(selected!.Value.ToString(), selected == char.ToUpperInvariant(refLetter));
        int refIndex = char.ToUpperInvariant(refLetter) - 'A';
        if (refIndex >= options.Count || refIndex < 0) return new BenchmarkScore(raw, false);
        var refOption = options[refIndex];
        bool correct = nlvr2 ? NlvrKeywordMatch(raw, refOption) : OptionTextMatch(raw, refOption, refLetter);
        return new BenchmarkScore(raw, correct);
    }

    /// <summary>A short-answer verdict: case-insensitive exact match of the parsed answer and the stripped reference.</summary>
    public static BenchmarkScore ShortAnswer(string raw, string reference)
    {
        var answer = ParseAnswer(raw);
        var r = reference.Trim('(', ')', '\n', ' ');
        return new BenchmarkScore(answer, string.Equals(r.ToLowerInvariant(), answer.ToLowerInvariant(), StringComparison.Ordinal));
    }

    /// <summary>Python's str.strip(): whitespace off both ends.</summary>
    public static string PyStrip(string s) => s.Trim();
}
