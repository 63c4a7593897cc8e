using System.Text;
using MantisNative.Data.Tokenization;

namespace MantisNative.Data.Chat;

/// <summary>
/// Builds ids and labels piece by piece. Text between two tokens placed by id is collected and encoded
/// in one go, because HF encodes each run between added tokens as a whole ("\n\n" + content must meet the
/// regex together). Text is encoded without special-token parsing, so a message cannot forge a header.
/// </summary>
internal sealed class ChatSequenceBuilder
{
    private readonly ByteLevelBpeTokenizer _tokenizer;
    private readonly List<int> _ids = new();
    private readonly List<int> _labels = new();
    private readonly List<int> _images = new();
    private readonly StringBuilder _pending = new();
    private readonly List<int> _scratch = new();
    private bool _pendingLabelled;

    public ChatSequenceBuilder(ByteLevelBpeTokenizer tokenizer) => _tokenizer = tokenizer;

    public void Token(int id, bool labelled)
    {
        Flush();
        _ids.Add(id);
        _labels.Add(labelled ? id : ChatEncoding.IgnoreLabel);
    }

    public void Text(string text, bool labelled)
    {
        if (_pending.Length > 0 && labelled != _pendingLabelled) Flush();
        _pending.Append(text);
        _pendingLabelled = labelled;
    }

    /// <summary>An image token is never a target: the model cannot predict an image.</summary>
    public void Image(int id)
    {
        Flush();
        _images.Add(_ids.Count);
        _ids.Add(id);
        _labels.Add(ChatEncoding.IgnoreLabel);
    }

    public (List<int> Ids, List<int> Labels, List<int> Images) Finish()
    {
        Flush();
        return (_ids, _labels, _images);
    }

    private void Flush()
    {
        if (_pending.Length == 0) return;
        _scratch.Clear();
        _tokenizer.EncodeTo(_pending.ToString(), _scratch, parseSpecial: false);
        foreach (var id in _scratch)
        {
            _ids.Add(id);
            _labels.Add(_pendingLabelled ? id : ChatEncoding.IgnoreLabel);
        }
        _pending.Clear();
    }
}
