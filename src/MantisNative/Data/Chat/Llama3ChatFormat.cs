using System.Globalization;
using System.Text;
using MantisNative.Data.Tokenization;

namespace MantisNative.Data.Chat;

/// <summary>
/// Turns a Mantis conversation into Llama-3 chat input:
/// <c>&lt;|begin_of_text|&gt;</c>, then per turn <c>&lt;|start_header_id|&gt;{role}&lt;|end_header_id|&gt;\n\n{content}&lt;|eot_id|&gt;</c>,
/// with the j-th "&lt;image&gt;" (j from 1 over the whole conversation) written as
/// <c>(image j: &lt;Image&gt;&lt;image&gt;&lt;/Image&gt;)</c>, where only the inner one is the image token.
/// Training: labels are the ids of each assistant turn from its header through its &lt;|eot_id|&gt;, -100 elsewhere.
/// Generation: no labels, and an assistant header is appended for the model to continue.
/// </summary>
public sealed class Llama3ChatFormat
{
    private readonly ByteLevelBpeTokenizer _tokenizer;
    private readonly int _bos, _startHeader, _endHeader, _eot;

    public ChatFormatOptions Options { get; }

    public Llama3ChatFormat(ByteLevelBpeTokenizer tokenizer, ChatFormatOptions? options = null)
    {
        _tokenizer = tokenizer;
        Options = options ?? new ChatFormatOptions();
        if (Options.ImageTokenLength < 1) throw new MantisException($"chat format: ImageTokenLength must be >= 1, got {Options.ImageTokenLength}");
        if (Options.MaxLength is < 1) throw new MantisException($"chat format: MaxLength must be >= 1, got {Options.MaxLength}");
        _bos = tokenizer.BosId ?? Required("<|begin_of_text|>");
        _startHeader = Required("<|start_header_id|>");
        _endHeader = Required("<|end_header_id|>");
        _eot = Required("<|eot_id|>");
    }

    private int Required(string token) => _tokenizer.TokenToId(token)
        ?? throw new MantisException($"chat format: the tokenizer has no '{token}' token, which the Llama-3 chat format needs");

    /// <summary>The text of the j-th image (1-based) with the placeholder tag inside.</summary>
    public static string WrapImage(int j, string tag) => string.Create(CultureInfo.InvariantCulture, $"(image {j}: <Image>{tag}</Image>)");

    /// <summary>
    /// Encodes one record. <paramref name="imageCount"/> is the number of images the record has; a tag/image
    /// count mismatch throws (naming <paramref name="recordId"/>) unless the options ask for the reference's fix.
    /// Returns a skipped encoding (with its reason) when truncation to MaxLength would damage the example.
    /// </summary>
    public ChatEncoding Encode(string recordId, IReadOnlyList<ChatMessage> messages, int imageCount, bool forGeneration = false)
    {
        var warnings = new List<string>();
        var turns = Prepare(recordId, messages, imageCount, warnings);
        if (!forGeneration && !turns.Any(m => m.Role == "assistant"))
            return Skip(recordId, "no assistant turn to learn from", warnings);

        var b = new ChatSequenceBuilder(_tokenizer);
        var tag = Options.ImagePlaceholder;
        int? imageId = tag is not null && imageCount > 0 ? _tokenizer.TokenToId(tag)
            ?? throw new MantisException($"record {recordId}: the tokenizer has no '{tag}' token; add it first (AddSpecialToken(\"{tag}\"))") : null;
        int j = 0;
        b.Token(_bos, false);
        if (Options.SystemPrompt is { } system) Turn(b, "system", Content(system), false, null, null, ref j);
        foreach (var m in turns)
            Turn(b, m.Role, Content(m.Content), !forGeneration && m.Role == "assistant", tag, imageId, ref j);
        if (forGeneration)
        {
            b.Token(_startHeader, false);
            b.Text("assistant", false);
            b.Token(_endHeader, false);
            b.Text("\n\n", false);
        }
        var (ids, labels, images) = b.Finish();
        return ChatTruncation.Apply(recordId, ids, forGeneration ? null : labels, images, Options, warnings);
    }

    /// <summary>The conversation as text (what the ids encode), for logs and checks; images appear as their tag.</summary>
    public string Render(string recordId, IReadOnlyList<ChatMessage> messages, int imageCount, bool forGeneration = false)
    {
        var turns = Prepare(recordId, messages, imageCount, new List<string>());
        var sb = new StringBuilder("<|begin_of_text|>");
        int j = 0;
        void Add(string role, string content, string? tag)
        {
            sb.Append("<|start_header_id|>").Append(role).Append("<|end_header_id|>\n\n");
            if (tag is null) sb.Append(content);
            else
            {
                var parts = content.Split(tag);
                for (int i = 0; i < parts.Length; i++)
                {
                    if (i > 0) sb.Append(WrapImage(++j, tag));
                    sb.Append(parts[i]);
                }
            }
            sb.Append("<|eot_id|>");
        }
        if (Options.SystemPrompt is { } system) Add("system", Content(system), null);
        foreach (var m in turns) Add(m.Role, Content(m.Content), Options.ImagePlaceholder);
        if (forGeneration) sb.Append("<|start_header_id|>assistant<|end_header_id|>\n\n");
        return sb.ToString();
    }

    private string Content(string s) => Options.TrimContent ? s.Trim() : s;

    private List<ChatMessage> Prepare(string recordId, IReadOnlyList<ChatMessage> messages, int imageCount, List<string> warnings)
    {
        if (messages.Count == 0) throw new MantisException($"record {recordId}: the conversation is empty");
        for (int i = 0; i < messages.Count; i++)
            if (string.IsNullOrWhiteSpace(messages[i].Role))
                throw new MantisException($"record {recordId}: message {i} has no role");
        if (imageCount < 0) throw new MantisException($"record {recordId}: negative image count {imageCount}");
        var tag = Options.ImagePlaceholder;
        if (tag is null) return messages.ToList();
        int tags = ImageTags.Count(messages, tag);
        if (tags == imageCount) return messages.ToList();
        if (Options.OnMismatch == ImageTagMismatch.Error)
            throw new MantisException($"record {recordId}: the conversation has {tags} {tag} tag(s) but the record has {imageCount} image(s)");
        var (fixedMessages, warning) = ImageTags.Fix(messages, imageCount, tag, recordId);
        warnings.Add(warning!);
        Options.OnWarning?.Invoke(warning!);
        return fixedMessages;
    }

    private void Turn(ChatSequenceBuilder b, string role, string content, bool labelled, string? tag, int? imageId, ref int j)
    {
        b.Token(_startHeader, labelled);
        b.Text(role, labelled);
        b.Token(_endHeader, labelled);
        b.Text("\n\n", labelled);
        if (tag is null || imageId is null) b.Text(content, labelled);
        else
        {
            var parts = content.Split(tag);
            for (int i = 0; i < parts.Length; i++)
            {
                if (i > 0)
                {
                    var n = (++j).ToString(CultureInfo.InvariantCulture);
                    b.Text($"(image {n}: <Image>", labelled);
                    b.Image(imageId.Value);
                    b.Text("</Image>)", labelled);
                }
                b.Text(parts[i], labelled);
            }
        }
        b.Token(_eot, labelled);
    }

    private static ChatEncoding Skip(string recordId, string reason, List<string> warnings) =>
        new() { RecordId = recordId, SkipReason = reason, Warnings = warnings };
}
