using System.Text;
using MantisNative.Data.Tokenization;

namespace MantisNative.Inference;

/// <summary>
/// Turns generated ids into text pieces as they arrive. A character can span several byte-level tokens
/// (an emoji is four bytes, often two or more tokens), so the bytes of all ids so far are decoded and only
/// the complete characters beyond what was already given out are returned; an unfinished UTF-8 sequence at
/// the end waits for the next token. The pieces concatenated equal the decode of all ids.
/// Special tokens (&lt;|pad|&gt;, &lt;image&gt;, ...) are skipped: they are not answer text.
/// </summary>
public sealed class StreamingDetokenizer
{
    private readonly ByteLevelBpeTokenizer _tokenizer;
    private readonly List<byte> _bytes = new();
    private readonly List<int> _ids = new();
    private int _emittedChars;

    public StreamingDetokenizer(ByteLevelBpeTokenizer tokenizer) => _tokenizer = tokenizer;

    /// <summary>Every id pushed so far.</summary>
    public IReadOnlyList<int> Ids => _ids;

    /// <summary>The text of every id pushed so far (an unfinished character at the end decodes as U+FFFD).</summary>
    public string Text => Encoding.UTF8.GetString(_bytes.ToArray());

    /// <summary>Adds one id; returns the newly completed text (often empty mid-character).</summary>
    public string Push(int id)
    {
        _ids.Add(id);
        if (!_tokenizer.IsSpecial(id)) _bytes.AddRange(_tokenizer.TokenBytes(id));
        return Emit(CompleteLength());
    }

    /// <summary>At the end: whatever is left, an unfinished character included (as U+FFFD, like a full decode).</summary>
    public string Flush() => Emit(_bytes.Count);

    private string Emit(int byteCount)
    {
        var text = Encoding.UTF8.GetString(_bytes.GetRange(0, byteCount).ToArray());
        if (text.Length <= _emittedChars) return "";
        var piece = text[_emittedChars..];
        _emittedChars = text.Length;
        return piece;
    }

    /// <summary>Bytes up to (not including) a trailing UTF-8 sequence that still lacks continuation bytes.</summary>
    private int CompleteLength()
    {
        int n = _bytes.Count;
        // look back over at most 3 continuation bytes (10xxxxxx) for the lead byte of the last sequence
        for (int i = n - 1; i >= Math.Max(0, n - 4); i--)
        {
            byte b = _bytes[i];
            if ((b & 0xC0) == 0x80) continue;
            int need = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
            return n - i < need ? i : n;
        }
        return n;
    }
}
