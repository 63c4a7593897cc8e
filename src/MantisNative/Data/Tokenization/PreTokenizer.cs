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

    /// <summary>The regex split steps in order (for saving and for display).</summary>
    public IReadOnlyList<(string Pattern, SplitBehavior Behavior)> Steps => _steps.Select(s => (s.Source, s.Behavior)).ToArray();

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
        if (text.AsSpan(start, length).IndexOfAnyInRange('\uD800', '\uDFFF') >= 0)
            SplitCodePoints(text, start, length, pieces);
        else
            SplitCore(text, start, length, pieces);
    }

    /// <summary>
    /// .NET regexes see UTF-16 units, so a letter or emoji outside the BMP would be two "other" characters and
    /// could even be cut in half, while HF's regex engine sees one code point. So each surrogate pair is
    /// replaced by one BMP character of the same Unicode category, the regex runs on that, and the pieces
    /// are mapped back to the original text.
    /// </summary>
    private void SplitCodePoints(string text, int start, int length, List<(int Start, int Length)> pieces)
    {
        var compact = new System.Text.StringBuilder(length);
        var origin = new List<int>(length + 1); // origin[k] = index in text of compact char k
        for (int i = start; i < start + length;)
        {
            origin.Add(i);
            if (char.IsHighSurrogate(text[i]) && i + 1 < start + length && char.IsLowSurrogate(text[i + 1]))
            {
                compact.Append(CategoryStandIns.For(System.Text.Rune.GetUnicodeCategory(new System.Text.Rune(text[i], text[i + 1]))));
                i += 2;
            }
            else compact.Append(text[i++]);
        }
        origin.Add(start + length);
        var local = new List<(int Start, int Length)>();
        var c = compact.ToString();
        SplitCore(c, 0, c.Length, local);
        foreach (var (s, l) in local) pieces.Add((origin[s], origin[s + l] - origin[s]));
    }

    private void SplitCore(string text, int start, int length, List<(int Start, int Length)> pieces)
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
