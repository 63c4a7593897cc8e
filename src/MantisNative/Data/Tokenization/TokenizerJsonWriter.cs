using System.Text.Encodings.Web;
using System.Text.Json;

namespace MantisNative.Data.Tokenization;

/// <summary>
/// Writes a <see cref="ByteLevelBpeTokenizer"/> as a Hugging Face tokenizer.json (added tokens included,
/// also those added at run time), so HF tokenizers and <see cref="ByteLevelBpeTokenizer.Load"/> read it back.
/// </summary>
public static class TokenizerJsonWriter
{
    public static void Write(ByteLevelBpeTokenizer tokenizer, string path)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        var tmp = path + ".tmp";
        // Raw "Ġ" rather than "\u0120": what HF writes, and readable.
        var options = new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        using (var stream = File.Create(tmp))
        using (var w = new Utf8JsonWriter(stream, options))
        {
            w.WriteStartObject();
            w.WriteString("version", "1.0");
            w.WriteNull("truncation");
            w.WriteNull("padding");
            WriteAddedTokens(w, tokenizer);
            w.WriteNull("normalizer");
            WritePreTokenizer(w, tokenizer.PreTokenizer);
            WritePostProcessor(w, tokenizer);
            w.WriteStartObject("decoder");
            w.WriteString("type", "ByteLevel");
            w.WriteBoolean("add_prefix_space", true);
            w.WriteBoolean("trim_offsets", true);
            w.WriteBoolean("use_regex", true);
            w.WriteEndObject();
            WriteModel(w, tokenizer.Model);
            w.WriteEndObject();
        }
        File.Move(tmp, path, overwrite: true); // a half-written file never replaces a good one
    }

    /// <summary>A minimal tokenizer_config.json: BOS/EOS names and the fast-tokenizer class.</summary>
    public static void WriteConfig(ByteLevelBpeTokenizer tokenizer, string path)
    {
        var tmp = path + ".tmp";
        using (var stream = File.Create(tmp))
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            if (tokenizer.BosId is int bos) w.WriteString("bos_token", tokenizer.IdToToken(bos));
            if (tokenizer.EosId is int eos) w.WriteString("eos_token", tokenizer.IdToToken(eos));
            w.WriteBoolean("clean_up_tokenization_spaces", false);
            w.WriteString("tokenizer_class", "PreTrainedTokenizerFast");
            w.WriteEndObject();
        }
        File.Move(tmp, path, overwrite: true);
    }

    private static void WriteAddedTokens(Utf8JsonWriter w, ByteLevelBpeTokenizer t)
    {
        w.WriteStartArray("added_tokens");
        foreach (var a in t.AddedTokens.OrderBy(a => a.Id))
        {
            w.WriteStartObject();
            w.WriteNumber("id", a.Id);
            w.WriteString("content", a.Content);
            w.WriteBoolean("single_word", false);
            w.WriteBoolean("lstrip", a.LStrip);
            w.WriteBoolean("rstrip", a.RStrip);
            w.WriteBoolean("normalized", false);
            w.WriteBoolean("special", a.Special);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    private static void WritePreTokenizer(Utf8JsonWriter w, PreTokenizer pre)
    {
        w.WriteStartObject("pre_tokenizer");
        w.WriteString("type", "Sequence");
        w.WriteStartArray("pretokenizers");
        // A prefix space must come first: HF adds it to every piece present when ByteLevel runs.
        if (pre.AddPrefixSpace) WriteByteLevel(w, true);
        foreach (var (pattern, behavior) in pre.Steps)
        {
            w.WriteStartObject();
            w.WriteString("type", "Split");
            w.WriteStartObject("pattern");
            w.WriteString("Regex", pattern);
            w.WriteEndObject();
            w.WriteString("behavior", behavior.ToString());
            w.WriteBoolean("invert", false);
            w.WriteEndObject();
        }
        if (!pre.AddPrefixSpace) WriteByteLevel(w, false);
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteByteLevel(Utf8JsonWriter w, bool prefixSpace)
    {
        w.WriteStartObject();
        w.WriteString("type", "ByteLevel");
        w.WriteBoolean("add_prefix_space", prefixSpace);
        w.WriteBoolean("trim_offsets", true);
        w.WriteBoolean("use_regex", false);
        w.WriteEndObject();
    }

    private static void WritePostProcessor(Utf8JsonWriter w, ByteLevelBpeTokenizer t)
    {
        var post = t.PostProcessor;
        if (!post.AddsTokens)
        {
            w.WriteStartObject("post_processor");
            w.WriteString("type", "ByteLevel");
            w.WriteBoolean("add_prefix_space", true);
            w.WriteBoolean("trim_offsets", false);
            w.WriteBoolean("use_regex", true);
            w.WriteEndObject();
            return;
        }
        w.WriteStartObject("post_processor");
        w.WriteString("type", "TemplateProcessing");
        w.WriteStartArray("single");
        foreach (var id in post.Prefix) WriteSpecialItem(w, t, id);
        w.WriteStartObject();
        w.WriteStartObject("Sequence");
        w.WriteString("id", "A");
        w.WriteNumber("type_id", 0);
        w.WriteEndObject();
        w.WriteEndObject();
        foreach (var id in post.Suffix) WriteSpecialItem(w, t, id);
        w.WriteEndArray();
        // "pair" is required by HF's schema; a pair is A then B, both with the same specials around A.
        w.WriteStartArray("pair");
        foreach (var id in post.Prefix) WriteSpecialItem(w, t, id);
        foreach (var seq in new[] { "A", "B" })
        {
            w.WriteStartObject();
            w.WriteStartObject("Sequence");
            w.WriteString("id", seq);
            w.WriteNumber("type_id", seq == "A" ? 0 : 1);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        foreach (var id in post.Suffix) WriteSpecialItem(w, t, id);
        w.WriteEndArray();
        w.WriteStartObject("special_tokens");
        foreach (var id in post.Prefix.Concat(post.Suffix).Distinct())
        {
            var name = t.IdToToken(id)!;
            w.WriteStartObject(name);
            w.WriteString("id", name);
            w.WriteStartArray("ids");
            w.WriteNumberValue(id);
            w.WriteEndArray();
            w.WriteStartArray("tokens");
            w.WriteStringValue(name);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void WriteSpecialItem(Utf8JsonWriter w, ByteLevelBpeTokenizer t, int id)
    {
        w.WriteStartObject();
        w.WriteStartObject("SpecialToken");
        w.WriteString("id", t.IdToToken(id) ?? throw new MantisException($"tokenizer: post-processor id {id} has no token"));
        w.WriteNumber("type_id", 0);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void WriteModel(Utf8JsonWriter w, BpeModel model)
    {
        w.WriteStartObject("model");
        w.WriteString("type", "BPE");
        w.WriteNull("dropout");
        w.WriteNull("unk_token");
        w.WriteNull("continuing_subword_prefix");
        w.WriteNull("end_of_word_suffix");
        w.WriteBoolean("fuse_unk", false);
        w.WriteBoolean("byte_fallback", false);
        w.WriteBoolean("ignore_merges", model.IgnoreMerges);
        w.WriteStartObject("vocab");
        foreach (var (tok, id) in model.Vocab.OrderBy(kv => kv.Value)) w.WriteNumber(tok, id);
        w.WriteEndObject();
        w.WriteStartArray("merges");
        foreach (var (a, b) in model.Merges)
        {
            w.WriteStartArray();
            w.WriteStringValue(a);
            w.WriteStringValue(b);
            w.WriteEndArray();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }
}
