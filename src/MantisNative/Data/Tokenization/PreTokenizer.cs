using System.Text.RegularExpressions;

namespace MantisNative.Data.Tokenization;

/// <summary>
/// The HF pre-tokenizer chain of a byte-level BPE tokenizer: regex splits (Split, or ByteLevel with use_regex)
/// applied in order, each refining the pieces of the previous one. The final byte-level mapping of each piece
/// happens in the BPE model, so here a piece is just a range of the text.
/// </summary>
public sealed class PreTokenizer
{
    /// <summary>GPT-2's pattern, used by a ByteLevel pre-tokenizer with use_regex = true.</summary>
    public const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    /// <summary>Llama-3's pattern (the Split step of its tokenizer.json).</summary>
    public const string Llama3Pattern = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    /// <summary>How a Split step keeps the matched parts (HF SplitDelimiterBehavior).</summary>
    public enum SplitBehavior { Isolated, Removed }

    private sealed record Step(Regex Pattern, string Source, SplitBehavior Behavior);

    private readonly Step[] _steps;

    /// <summary>ByteLevel add_prefix_space: a space is put before text that does not start with one.</summary>
    public bool AddPrefixSpace { get; }

    /// <summary>The regex sources of the steps, in order (for saving and for display).</summary>
    public IReadOnlyList<string> Patterns => _steps.Select(s => s.Source).ToArray();

    public PreTokenizer(IEnumerable<(string Pattern, SplitBehavior Behavior)> steps, bool addPrefixSpace)
    {
        // Compiled + CultureInvariant: case-insensitive groups like (?i:'s) must not depend on the current culture.
        _steps = steps.Select(s => new Step(
            new Regex(s.Pattern, RegexOptions.Compiled | RegexOptions.CultureInvariant), s.Pattern, s.Behavior)).ToArray();
        AddPrefixSpace = addPrefixSpace;
    }

    /// <summary>Llama-3's chain: Split(Llama-3 regex, Isolated) then ByteLevel without regex or prefix space.</summary>
    public static PreTokenizer Llama3() => new(new[] { (Llama3Pattern, SplitBehavior.Isolated) }, false);

    /// <summary>
    /// Splits <paramref name="text"/>[start..start+length] into pieces, appended to <paramref name="pieces"/>
    /// as (start, length) ranges of <paramref name="text"/>. Empty pieces are dropped (HF drops them too).
    /// </summary>
    public void Split(string text, int start, int length, List<(int Start, int Length)> pieces)
    {
        int first = pieces.Count;
        pieces.Add((start, length));
        foreach (var step in _steps)
        {
            int count = pieces.Count - first;
            var current = pieces.GetRange(first, count);
            pieces.RemoveRange(first, count);
            foreach (var (s, l) in current) SplitOne(step, text, s, l, pieces);
        }
    }

    private static void SplitOne(Step step, string text, int start, int length, List<(int, int)> pieces)
    {
        var span = text.AsSpan(start, length);
        int last = 0;
        foreach (var m in step.Pattern.EnumerateMatches(span))
        {
            if (m.Length == 0) continue;
            if (m.Index > last) pieces.Add((start + last, m.Index - last));
            if (step.Behavior == SplitBehavior.Isolated) pieces.Add((start + m.Index, m.Length));
            last = m.Index + m.Length;
        }
        if (length > last) pieces.Add((start + last, length - last));
    }
}
