using System.Text;
using System.Text.RegularExpressions;

namespace MantisNative.Evaluation;

/// <summary>
/// The answer parsing of the Mantis paper's harness (TIGER-AI-Lab/Mantis mantis/benchmark/eval.py, extended as
/// EVAL_FACTS.md records): the answer is the text after the first case-insensitive "final answer:", else after
/// "the answer is", else after "answer:", else the whole output; a multiple-choice option is "Answer: X" or the
/// first alphabetic character, upper-cased.
/// </summary>
public static partial class AnswerParser
{
    /// <summary>Markers in priority order: a later one counts only when no earlier one occurs at all.</summary>
    public static readonly IReadOnlyList<string> Markers = new[] { "final answer:", "the answer is", "answer:" };

    /// <summary>The answer part of a model output (trimmed; a ':' right after "the answer is" is dropped).</summary>
    public static string ExtractAnswer(string raw)
    {
        foreach (var marker in Markers)
        {
            int i = raw.IndexOf(marker, StringComparison.OrdinalIgnoreCase);
            if (i >= 0) return raw[(i + marker.Length)..].Trim().TrimStart(':').Trim();
        }
        return raw.Trim();
    }

    [GeneratedRegex("^Answer: [A-Z]")]
    private static partial Regex AnswerLetter();

    /// <summary>The option letter the harness reads from an extracted answer: "Answer: X", else the first letter upper-cased; null when there is no letter.</summary>
    public static char? OptionLetter(string answer)
    {
        if (AnswerLetter().IsMatch(answer)) return answer[8];
        foreach (var c in answer)
            if (char.IsLetter(c)) return char.ToUpperInvariant(c);
        return null;
    }

    /// <summary>0-based option index of a letter ('A' = 0), or null when it is no valid index below <paramref name="optionCount"/>.</summary>
    public static int? LetterIndex(char? letter, int optionCount)
    {
        if (letter is not char c) return null;
        int i = c - 'A';
        return i >= 0 && i < optionCount ? i : null;
    }

    /// <summary>The reference letter as the harness reads it: stripped of "()", newlines and spaces, and the first letter if longer.</summary>
    public static char? ReferenceLetter(string reference)
    {
        var r = reference.Trim('(', ')', '\n', ' ');
        if (r.Length == 1) return char.ToUpperInvariant(r[0]);
        foreach (var c in r)
            if (char.IsLetter(c)) return char.ToUpperInvariant(c);
        return null;
    }

    /// <summary>
    /// A bare option letter written as the whole answer ("B", "(B)", "B.", "b)"), or null. Stricter than
    /// <see cref="OptionLetter"/>: used for short-answer questions that have an option list, where the first letter
    /// of a word ("blue") must not count as option B.
    /// </summary>
    public static char? BareLetter(string answer)
    {
        var a = answer.Trim().Trim('(', ')', '.', ':', ' ', '\n');
        return a.Length == 1 && char.IsAsciiLetter(a[0]) ? char.ToUpperInvariant(a[0]) : null;
    }

    /// <summary>
    /// The NLVR2 fallback of the harness: true when the output says "true" and not "false" and the reference option
    /// is true, or the reverse.
    /// </summary>
    public static bool NlvrKeywordMatch(string raw, string referenceOption)
    {
        var r = raw.ToLowerInvariant();
        var o = referenceOption.ToLowerInvariant();
        return (r.Contains("true") && !r.Contains("false") && o.Contains("true"))
            || (r.Contains("false") && !r.Contains("true") && o.Contains("false"));
    }

    /// <summary>An option's text without a "A." / "A:" / "(A)" prefix of its own letter (the harness compares the raw output with this).</summary>
    public static string OptionText(string option, char letter)
    {
        foreach (var prefix in new[] { $"{letter}.", $"{letter}:", $"({letter})" })
            if (option.StartsWith(prefix, StringComparison.Ordinal)) return option[prefix.Length..].Trim();
        return option.Trim();
    }

    /// <summary>
    /// Short-answer normal form: lower case, punctuation and whitespace trimmed from both ends, inner whitespace
    /// runs as one space ("Red." and " red" match "red"; "2" matches "2.").
    /// </summary>
    public static string Normalize(string s)
    {
        int start = 0, end = s.Length;
        while (start < end && IsTrim(s[start])) start++;
        while (end > start && IsTrim(s[end - 1])) end--;
        var sb = new StringBuilder(end - start);
        bool space = false;
        for (int i = start; i < end; i++)
        {
            if (char.IsWhiteSpace(s[i])) { space = true; continue; }
            if (space) sb.Append(' ');
            space = false;
            sb.Append(char.ToLowerInvariant(s[i]));
        }
        return sb.ToString();
    }

    private static bool IsTrim(char c) => char.IsWhiteSpace(c) || char.IsPunctuation(c) || char.IsSymbol(c);
}
