namespace MantisNative.Data.Tokenization;

/// <summary>
/// Finds added tokens in raw text, leftmost-longest like HF's AddedVocabulary (aho-corasick, LeftmostLongest).
/// Candidates are bucketed by first character, longest first, so plain text costs one table probe per char.
/// </summary>
internal sealed class AddedTokenSplitter
{
    private readonly Dictionary<char, AddedToken[]> _byFirstChar;

    public AddedTokenSplitter(IEnumerable<AddedToken> tokens)
    {
        _byFirstChar = tokens.Where(t => t.Content.Length > 0)
            .GroupBy(t => t.Content[0])
            .ToDictionary(g => g.Key, g => g.OrderByDescending(t => t.Content.Length).ThenBy(t => t.Id).ToArray());
    }

    /// <summary>
    /// Calls <paramref name="onText"/> for each run of plain text and <paramref name="onToken"/> for each added
    /// token found. Special tokens are only matched when <paramref name="parseSpecial"/> is true
    /// (off = HF split_special_tokens: "&lt;|eot_id|&gt;" in text is then ordinary text).
    /// </summary>
    public void Split(string text, bool parseSpecial, Action<int, int> onText, Action<AddedToken> onToken)
    {
        int textStart = 0;
        int i = 0;
        while (i < text.Length)
        {
            AddedToken? hit = null;
            if (_byFirstChar.TryGetValue(text[i], out var candidates))
            {
                foreach (var t in candidates)
                {
                    if (t.Special && !parseSpecial) continue;
                    if (text.AsSpan(i).StartsWith(t.Content, StringComparison.Ordinal))
                    {
                        hit = t;
                        break;
                    }
                }
            }
            if (hit is null) { i++; continue; }
            int start = i, end = i + hit.Content.Length;
            if (hit.LStrip) while (start > textStart && char.IsWhiteSpace(text[start - 1])) start--;
            if (hit.RStrip) while (end < text.Length && char.IsWhiteSpace(text[end])) end++;
            if (start > textStart) onText(textStart, start - textStart);
            onToken(hit);
            i = end;
            textStart = i;
        }
        if (text.Length > textStart) onText(textStart, text.Length - textStart);
    }
}
