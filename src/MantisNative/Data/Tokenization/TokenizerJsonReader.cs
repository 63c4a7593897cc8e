using System.Text.Json;
using MantisNative.IO;

namespace MantisNative.Data.Tokenization;

/// <summary>
/// Reads a Hugging Face tokenizer.json of a byte-level BPE tokenizer (GPT-2, Llama-3 and alike).
/// Anything that would change ids and is not implemented (a normalizer, byte_fallback, word suffixes,
/// other pre-tokenizers) is refused with a message naming the file and the field, never ignored.
/// </summary>
public static class TokenizerJsonReader
{
    /// <summary>Parsed parts of the file (the model's dictionaries are built by <see cref="BpeModel"/>).</summary>
    internal sealed record Parts(BpeModel Model, PreTokenizer PreTokenizer, PostProcessor PostProcessor,
        List<AddedToken> AddedTokens);

    internal static Parts Read(string path)
    {
        var bytes = InputFile.ReadAllBytes(path, "tokenizer");
        Utf8Input.EnsureValid(bytes, path, "tokenizer.json");
        try { return Read(bytes, path); }
        catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException or IndexOutOfRangeException or ArgumentException)
        {
            // GetProperty / GetString / GetInt32 on a field of the wrong kind or a missing one: the file's shape is wrong
            throw new MantisException($"{path}: unexpected tokenizer.json structure ({e.Message})", e);
        }
    }

    private static Parts Read(byte[] bytes, string path)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(bytes); }
        catch (JsonException e) { throw new MantisException($"{path}: not valid JSON ({e.Message})", e); }
        using (doc)
        {
            var root = doc.RootElement;
            var model = Prop(root, "model", path) ?? throw new MantisException($"{path}: no \"model\" section");
            // The model type first: the clearest message for a tokenizer of another kind (WordPiece, Unigram).
            if (model.TryGetProperty("type", out var mt) && mt.GetString() != "BPE")
                throw new MantisException($"{path}: model.type is '{mt.GetString()}'; only byte-level BPE is supported");
            var added = ReadAddedTokens(root, path);
            CheckNormalizer(root, path);
            var pre = ReadPreTokenizer(Prop(root, "pre_tokenizer", path), path);
            CheckDecoder(root, path);
            var bpe = ReadModel(model, path);
            var post = ReadPostProcessor(Prop(root, "post_processor", path), path, added, bpe);
            return new Parts(bpe, pre, post, added);
        }
    }

    private static JsonElement? Prop(JsonElement e, string name, string path)
    {
        if (e.ValueKind != JsonValueKind.Object) throw new MantisException($"{path}: expected an object where '{name}' should be");
        return e.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;
    }

    private static string TypeOf(JsonElement e, string where, string path) =>
        e.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()!
            : throw new MantisException($"{path}: {where} has no \"type\"");

    private static BpeModel ReadModel(JsonElement model, string path)
    {
        var type = model.TryGetProperty("type", out var t) ? t.GetString() : "BPE";
        if (type != "BPE") throw new MantisException($"{path}: model.type is '{type}'; only byte-level BPE is supported");
        if (model.TryGetProperty("byte_fallback", out var bf) && bf.ValueKind == JsonValueKind.True)
            throw new MantisException($"{path}: model.byte_fallback = true is not supported (byte-level BPE only)");
        foreach (var f in new[] { "continuing_subword_prefix", "end_of_word_suffix" })
            if (model.TryGetProperty(f, out var v) && v.ValueKind == JsonValueKind.String && v.GetString()!.Length > 0)
                throw new MantisException($"{path}: model.{f} is set; not supported for byte-level BPE");
        if (model.TryGetProperty("dropout", out var d) && d.ValueKind == JsonValueKind.Number && d.GetDouble() > 0)
            throw new MantisException($"{path}: model.dropout > 0 is not supported (it makes encoding random)");

        if (!model.TryGetProperty("vocab", out var vocabEl) || vocabEl.ValueKind != JsonValueKind.Object)
            throw new MantisException($"{path}: model.vocab missing or not an object");
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var p in vocabEl.EnumerateObject()) vocab[p.Name] = TokenId(p.Value, $"model.vocab[\"{p.Name}\"]", path);

        var merges = new List<(string, string)>();
        if (model.TryGetProperty("merges", out var mergesEl))
        {
            int i = 0;
            foreach (var m in mergesEl.EnumerateArray())
            {
                // Two formats exist: "a b" (older files) and ["a", "b"] (tokenizers >= 0.20).
                if (m.ValueKind == JsonValueKind.String)
                {
                    var s = m.GetString()!;
                    int sp = s.IndexOf(' ');
                    if (sp <= 0 || sp == s.Length - 1) throw new MantisException($"{path}: model.merges[{i}] '{s}' is not 'left right'");
                    merges.Add((s[..sp], s[(sp + 1)..]));
                }
                else if (m.ValueKind == JsonValueKind.Array && m.GetArrayLength() == 2 && m[0].ValueKind == JsonValueKind.String && m[1].ValueKind == JsonValueKind.String)
                    merges.Add((m[0].GetString()!, m[1].GetString()!));
                else throw new MantisException($"{path}: model.merges[{i}] is neither \"a b\" nor [\"a\", \"b\"]");
                i++;
            }
        }
        bool ignoreMerges = model.TryGetProperty("ignore_merges", out var im) && im.ValueKind == JsonValueKind.True;
        return new BpeModel(vocab, merges, ignoreMerges, path);
    }

    private static List<AddedToken> ReadAddedTokens(JsonElement root, string path)
    {
        var list = new List<AddedToken>();
        if (Prop(root, "added_tokens", path) is not { } arr) return list;
        foreach (var t in arr.EnumerateArray())
        {
            var content = t.GetProperty("content") is { ValueKind: JsonValueKind.String } c ? c.GetString()!
                : throw new MantisException($"{path}: an added token's content must be a string, got {t.GetProperty("content").GetRawText()}");
            // single_word changes matching by word boundaries; no byte-level tokenizer we target uses it.
            if (Flag(t, "single_word"))
                throw new MantisException($"{path}: added token '{content}' has single_word = true, which is not supported");
            list.Add(new AddedToken(TokenId(t.GetProperty("id"), $"added token '{content}' id", path), content, Flag(t, "special"), Flag(t, "lstrip"), Flag(t, "rstrip")));
        }
        return list;
    }

    /// <summary>
    /// Ids above this are refused: the id table is dense, so one id of 2^31 would allocate 16 GB (the largest
    /// vocabularies in use are a few hundred thousand).
    /// </summary>
    internal const int MaxTokenId = (1 << 24) - 1;

    /// <summary>A token id: a non-negative int up to <see cref="MaxTokenId"/> (10^12 is out of range, not "not an integer").</summary>
    private static int TokenId(JsonElement e, string what, string path)
    {
        if (e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out int id) && id is >= 0 and <= MaxTokenId) return id;
        if (e.ValueKind == JsonValueKind.Number && e.TryGetDouble(out double d) && Math.Floor(d) == d)
            throw new MantisException($"{path}: {what} {e.GetRawText()} is out of range (token ids are 0..{MaxTokenId})");
        throw new MantisException($"{path}: {what} must be an integer token id, got {e.GetRawText()}");
    }

    private static bool Flag(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.True;

    private static void CheckNormalizer(JsonElement root, string path)
    {
        if (Prop(root, "normalizer", path) is not { } n) return;
        var type = TypeOf(n, "normalizer", path);
        if (type == "Sequence" && n.GetProperty("normalizers").GetArrayLength() == 0) return;
        throw new MantisException($"{path}: normalizer '{type}' is not supported (byte-level BPE tokenizers have none)");
    }

    private static void CheckDecoder(JsonElement root, string path)
    {
        if (Prop(root, "decoder", path) is not { } d) throw new MantisException($"{path}: no decoder; a ByteLevel decoder is required");
        var type = TypeOf(d, "decoder", path);
        if (type == "ByteLevel") return;
        if (type == "Sequence" && d.GetProperty("decoders").EnumerateArray().All(x => TypeOf(x, "decoder", path) == "ByteLevel")) return;
        throw new MantisException($"{path}: decoder '{type}' is not supported; a ByteLevel decoder is required");
    }

    private static PreTokenizer ReadPreTokenizer(JsonElement? pre, string path)
    {
        if (pre is null) throw new MantisException($"{path}: no pre_tokenizer; a byte-level BPE needs a ByteLevel pre-tokenizer");
        var steps = new List<(string, PreTokenizer.SplitBehavior)>();
        bool sawByteLevel = false, prefixSpace = false;
        var list = TypeOf(pre.Value, "pre_tokenizer", path) == "Sequence"
            ? pre.Value.GetProperty("pretokenizers").EnumerateArray().ToList()
            : new List<JsonElement> { pre.Value };
        for (int i = 0; i < list.Count; i++)
        {
            var p = list[i];
            var type = TypeOf(p, $"pre_tokenizer[{i}]", path);
            switch (type)
            {
                case "Split":
                    steps.Add(ReadSplit(p, i, path));
                    break;
                case "ByteLevel":
                    sawByteLevel = true;
                    if (p.TryGetProperty("add_prefix_space", out var aps) && aps.ValueKind == JsonValueKind.True)
                    {
                        // HF adds the space to each piece present at that point; we support it as the first step only,
                        // where the pieces are the runs of text between added tokens.
                        if (i != 0) throw new MantisException($"{path}: pre_tokenizer[{i}] ByteLevel add_prefix_space after another step is not supported");
                        prefixSpace = true;
                    }
                    if (!p.TryGetProperty("use_regex", out var ur) || ur.ValueKind == JsonValueKind.True)
                        steps.Add((PreTokenizer.Gpt2Pattern, PreTokenizer.SplitBehavior.Isolated));
                    break;
                default:
                    throw new MantisException($"{path}: pre_tokenizer '{type}' is not supported (Split and ByteLevel are)");
            }
        }
        if (!sawByteLevel) throw new MantisException($"{path}: pre_tokenizer has no ByteLevel step; not a byte-level BPE tokenizer");
        try { return new PreTokenizer(steps, prefixSpace); }
        catch (ArgumentException e) // RegexParseException
        {
            throw new MantisException($"{path}: pre_tokenizer Split pattern is not a valid regular expression: {e.Message}", e);
        }
    }

    private static (string, PreTokenizer.SplitBehavior) ReadSplit(JsonElement p, int i, string path)
    {
        var pat = p.GetProperty("pattern");
        string regex = pat.TryGetProperty("Regex", out var r) ? r.GetString()!
            : pat.TryGetProperty("String", out var s) ? System.Text.RegularExpressions.Regex.Escape(s.GetString()!)
            : throw new MantisException($"{path}: pre_tokenizer[{i}] Split pattern is neither Regex nor String");
        if (p.TryGetProperty("invert", out var inv) && inv.ValueKind == JsonValueKind.True)
            throw new MantisException($"{path}: pre_tokenizer[{i}] Split with invert = true is not supported");
        var behavior = p.TryGetProperty("behavior", out var b) ? b.GetString() : "Isolated";
        return behavior switch
        {
            "Isolated" => (regex, PreTokenizer.SplitBehavior.Isolated),
            "Removed" => (regex, PreTokenizer.SplitBehavior.Removed),
            _ => throw new MantisException($"{path}: pre_tokenizer[{i}] Split behavior '{behavior}' is not supported (Isolated, Removed are)"),
        };
    }

    private static PostProcessor ReadPostProcessor(JsonElement? post, string path, List<AddedToken> added, BpeModel model)
    {
        if (post is null) return PostProcessor.None;
        var type = TypeOf(post.Value, "post_processor", path);
        switch (type)
        {
            case "ByteLevel":
                return PostProcessor.None; // only adjusts offsets
            case "Sequence":
                var parts = post.Value.GetProperty("processors").EnumerateArray().Select(p => ReadPostProcessor(p, path, added, model)).ToList();
                return new PostProcessor(parts.SelectMany(p => p.Prefix).ToArray(), parts.SelectMany(p => p.Suffix).ToArray());
            case "TemplateProcessing":
                return ReadTemplate(post.Value, path);
            case "RobertaProcessing":
            case "BertProcessing":
                return new PostProcessor(new[] { post.Value.GetProperty("cls")[1].GetInt32() }, new[] { post.Value.GetProperty("sep")[1].GetInt32() });
            default:
                throw new MantisException($"{path}: post_processor '{type}' is not supported");
        }
    }

    private static PostProcessor ReadTemplate(JsonElement t, string path)
    {
        var specials = new Dictionary<string, int[]>();
        if (t.TryGetProperty("special_tokens", out var st))
            foreach (var p in st.EnumerateObject())
                specials[p.Name] = p.Value.GetProperty("ids").EnumerateArray().Select(x => x.GetInt32()).ToArray();
        var prefix = new List<int>();
        var suffix = new List<int>();
        bool seenSequence = false;
        foreach (var item in t.GetProperty("single").EnumerateArray())
        {
            if (item.TryGetProperty("Sequence", out _)) { seenSequence = true; continue; }
            if (!item.TryGetProperty("SpecialToken", out var sp)) throw new MantisException($"{path}: post_processor.single has an unknown item");
            var name = sp.GetProperty("id").GetString()!;
            var ids = specials.TryGetValue(name, out var v) ? v
                : throw new MantisException($"{path}: post_processor.single uses '{name}', missing from its special_tokens");
            (seenSequence ? suffix : prefix).AddRange(ids);
        }
        return new PostProcessor(prefix.ToArray(), suffix.ToArray());
    }
}
