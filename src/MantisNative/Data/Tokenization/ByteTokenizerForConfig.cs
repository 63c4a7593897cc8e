using MantisNative.Models.Config;

namespace MantisNative.Data.Tokenization;

/// <summary>
/// A tokenizer for a random-weight model: the 256 byte-level tokens (no merges, so any text encodes, byte by byte)
/// plus the special tokens a Mantis chat needs at the ids the config names. With a Llama-3 sized vocabulary the
/// specials sit at Llama-3's ids (&lt;|begin_of_text|&gt; 128000 ... &lt;|eot_id|&gt; 128009, reserved tokens between)
/// and &lt;image&gt; / &lt;|pad|&gt; where config.json puts them; a smaller vocabulary gets them at the first free ids.
/// </summary>
public static class ByteTokenizerForConfig
{
    private const int Llama3First = 128000;

    public static ByteLevelBpeTokenizer Create(LlavaConfig config)
    {
        var specials = new List<AddedToken>();
        var used = new HashSet<int>(Enumerable.Range(0, 256));
        void Put(int id, string content)
        {
            if (id < 0 || id >= config.Text.VocabSize)
                throw new MantisException($"config.json: token '{content}' would get id {id}, outside vocab_size {config.Text.VocabSize}");
            if (!used.Add(id))
                throw new MantisException($"config.json: id {id} for '{content}' is already taken (image_token_index and pad_token_id must be distinct and >= 256 for a byte-level tokenizer)");
            specials.Add(new AddedToken(id, content, true));
        }
        Put(config.ImageTokenIndex, "<image>");
        int? pad = config.PadTokenId ?? config.Text.PadTokenId;
        if (pad is int p) Put(p, "<|pad|>");

        bool llama3 = config.Text.VocabSize >= Llama3First + 256 && !used.Overlaps(Enumerable.Range(Llama3First, 256));
        int next = 256;
        int NextFree() { while (used.Contains(next)) next++; return next; }
        string[] chat = ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"];
        if (llama3)
        {
            // Meta-Llama-3's layout of its 256 special ids.
            int reserved = 0;
            for (int id = Llama3First; id < Llama3First + 256; id++)
            {
                string content = (id - Llama3First) switch
                {
                    0 => chat[0], 1 => chat[1], 6 => chat[2], 7 => chat[3], 9 => chat[4],
                    _ => $"<|reserved_special_token_{reserved++}|>",
                };
                Put(id, content);
            }
        }
        else
        {
            foreach (var s in chat) Put(NextFree(), s);
        }
        if (!llama3 && !pad.HasValue) Put(NextFree(), "<|pad|>");

        var model = new BpeModel(Vocabulary(config.Text.VocabSize, used), [], ignoreMerges: false, "byte tokenizer");
        int bos = specials.First(s => s.Content == chat[0]).Id;
        return new ByteLevelBpeTokenizer(model, PreTokenizer.Llama3(), new PostProcessor([bos], []), specials)
        {
            EosId = specials.First(s => s.Content == chat[1]).Id,
        };
    }

    /// <summary>
    /// The byte tokens, and a filler token for every other id below <paramref name="vocabSize"/> that no special
    /// token holds: a random model samples any id, and each must decode. Fillers are multi-byte strings (the
    /// id's base-256 digits as byte-level characters), unique, and never produced by encoding (there are no merges).
    /// </summary>
    private static Dictionary<string, int> Vocabulary(int vocabSize, HashSet<int> used)
    {
        var vocab = new Dictionary<string, int>(vocabSize, StringComparer.Ordinal);
        for (int b = 0; b < 256; b++) vocab[ByteLevelAlphabet.ByteToChar((byte)b).ToString()] = b;
        var chars = new System.Text.StringBuilder();
        for (int id = 256; id < vocabSize; id++)
        {
            if (used.Contains(id)) continue;
            chars.Clear();
            for (int v = id; v > 0; v >>= 8) chars.Insert(0, ByteLevelAlphabet.ByteToChar((byte)(v & 0xFF)));
            vocab[chars.ToString()] = id;
        }
        return vocab;
    }
}
