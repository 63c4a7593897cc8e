using System.Text;

namespace MantisNative.Data.Tokenization;

/// <summary>
/// Trains a small byte-level BPE tokenizer on a corpus (for the tiny test/default models, which need a
/// vocabulary of a few hundred tokens, not Llama-3's 128K): 256 byte tokens (id = byte value), then
/// the most frequent adjacent pair is merged, up to <c>merges</c> times. Deterministic: ties go to the
/// ordinally smallest pair. Special tokens follow the vocabulary; the first is the BOS the post-processor adds.
/// </summary>
public static class BpeTrainer
{
    /// <summary>Special tokens of a Mantis-style small tokenizer: BOS, EOS, chat headers, end of turn, image, pad.</summary>
    public static readonly string[] DefaultSpecialTokens =
    {
        "<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>", "<image>", "<|pad|>",
    };

    /// <param name="corpus">training texts</param>
    /// <param name="merges">maximum number of merges (vocabulary = 256 + merges + specials)</param>
    /// <param name="specialTokens">added special tokens; the first is added as BOS by the post-processor (null: <see cref="DefaultSpecialTokens"/>)</param>
    /// <param name="minFrequency">a pair seen fewer times is not merged</param>
    /// <param name="preTokenizer">defaults to Llama-3's</param>
    public static ByteLevelBpeTokenizer Train(IEnumerable<string> corpus, int merges, IReadOnlyList<string>? specialTokens = null,
        int minFrequency = 2, PreTokenizer? preTokenizer = null)
    {
        if (merges < 0) throw new MantisException($"bpe trainer: merges must be >= 0, got {merges}");
        var pre = preTokenizer ?? PreTokenizer.Llama3();
        var specials = specialTokens ?? DefaultSpecialTokens;

        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        var tokens = new List<string>();
        for (int b = 0; b < 256; b++)
        {
            var s = ByteLevelAlphabet.ByteToChar((byte)b).ToString();
            vocab[s] = b;
            tokens.Add(s);
        }

        var words = CountWords(corpus, pre);
        var mergeList = new List<(string, string)>();
        for (int m = 0; m < merges; m++)
        {
            var best = BestPair(words, tokens, minFrequency);
            if (best is not (int left, int right)) break;
            var merged = tokens[left] + tokens[right];
            // Two merges can spell the same string ("a"+"bc", "ab"+"c"): they share one id, as in HF's trainer.
            if (!vocab.TryGetValue(merged, out int id))
            {
                id = tokens.Count;
                vocab[merged] = id;
                tokens.Add(merged);
            }
            mergeList.Add((tokens[left], tokens[right]));
            foreach (var w in words) Apply(w.Symbols, left, right, id);
        }

        var model = new BpeModel(vocab, mergeList, ignoreMerges: false, "bpe trainer");
        var added = specials.Select((s, i) => new AddedToken(tokens.Count + i, s, true)).ToList();
        var post = added.Count > 0 ? new PostProcessor(new[] { added[0].Id }, Array.Empty<int>()) : PostProcessor.None;
        // EOS by its Llama-3 name when present (generation also stops on <|eot_id|>, which the chat format knows).
        return new ByteLevelBpeTokenizer(model, pre, post, added)
        {
            EosId = added.FirstOrDefault(a => a.Content == "<|end_of_text|>")?.Id,
        };
    }

    private sealed record Word(List<int> Symbols, long Count);

    private static List<Word> CountWords(IEnumerable<string> corpus, PreTokenizer pre)
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        var pieces = new List<(int Start, int Length)>();
        foreach (var text in corpus)
        {
            if (string.IsNullOrEmpty(text)) continue;
            pieces.Clear();
            pre.Split(text, 0, text.Length, pieces);
            foreach (var (s, l) in pieces)
            {
                var piece = text.Substring(s, l);
                counts[piece] = counts.GetValueOrDefault(piece) + 1;
            }
        }
        // Sorted so that training does not depend on dictionary order.
        return counts.OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => new Word(Encoding.UTF8.GetBytes(kv.Key).Select(b => (int)b).ToList(), kv.Value)).ToList();
    }

    private static (int, int)? BestPair(List<Word> words, List<string> tokens, int minFrequency)
    {
        var pairs = new Dictionary<(int, int), long>();
        foreach (var w in words)
            for (int i = 0; i + 1 < w.Symbols.Count; i++)
            {
                var key = (w.Symbols[i], w.Symbols[i + 1]);
                pairs[key] = pairs.GetValueOrDefault(key) + w.Count;
            }
        (int, int)? best = null;
        long bestCount = 0;
        foreach (var (pair, count) in pairs)
        {
            if (count < Math.Max(1, minFrequency)) continue;
            if (count > bestCount || (count == bestCount && Compare(pair, best!.Value, tokens) < 0))
            {
                best = pair;
                bestCount = count;
            }
        }
        return best;
    }

    private static int Compare((int A, int B) x, (int A, int B) y, List<string> tokens)
    {
        int c = string.CompareOrdinal(tokens[x.A], tokens[y.A]);
        return c != 0 ? c : string.CompareOrdinal(tokens[x.B], tokens[y.B]);
    }

    private static void Apply(List<int> symbols, int left, int right, int merged)
    {
        for (int i = 0; i + 1 < symbols.Count; i++)
        {
            if (symbols[i] == left && symbols[i + 1] == right)
            {
                symbols[i] = merged;
                symbols.RemoveAt(i + 1);
            }
        }
    }
}
