using System.Text;
using System.Text.Json;

namespace MantisNative.Data.Tokenization;

/// <summary>
/// A Hugging Face byte-level BPE tokenizer (Llama-3, GPT-2, or the small ones <see cref="BpeTrainer"/> makes),
/// loaded from tokenizer.json and giving the same ids as HF tokenizers.
/// Encoding: split on added tokens -> pre-tokenizer regex -> byte-level BPE per piece -> optional BOS.
/// Encode/Decode are thread-safe; <see cref="AddSpecialToken"/> is not (call it once after loading).
/// </summary>
public sealed class ByteLevelBpeTokenizer
{
    private readonly BpeModel _model;
    private readonly List<AddedToken> _added;
    private readonly Dictionary<int, AddedToken> _addedById = new();
    private readonly Dictionary<string, AddedToken> _addedByContent = new(StringComparer.Ordinal);
    private AddedTokenSplitter _splitter;

    public BpeModel Model => _model;
    public PreTokenizer PreTokenizer { get; }
    public PostProcessor PostProcessor { get; }

    /// <summary>Added tokens in id order (those of the file, then those added at run time).</summary>
    public IReadOnlyList<AddedToken> AddedTokens => _added;

    /// <summary>The beginning-of-text id: the post-processor's first token, else tokenizer_config's bos_token.</summary>
    public int? BosId { get; private set; }

    /// <summary>tokenizer_config's eos_token (Llama-3: &lt;|end_of_text|&gt; in the original release).</summary>
    public int? EosId { get; internal set; }

    /// <summary>True when the file's post-processor adds tokens (HF add_special_tokens=True default).</summary>
    public bool AddsBosByDefault => PostProcessor.AddsTokens;

    /// <summary>Number of ids: one more than the largest id of the vocabulary and the added tokens.</summary>
    public int VocabSize => Math.Max(_model.IdLimit, _added.Count == 0 ? 0 : _added.Max(t => t.Id) + 1);

    internal ByteLevelBpeTokenizer(BpeModel model, PreTokenizer preTokenizer, PostProcessor post, IEnumerable<AddedToken> added)
    {
        _model = model;
        PreTokenizer = preTokenizer;
        PostProcessor = post;
        _added = new List<AddedToken>();
        foreach (var t in added) Register(t);
        _splitter = new AddedTokenSplitter(_added);
        BosId = post.Prefix.Length > 0 ? post.Prefix[0] : null;
    }

    /// <summary>
    /// Loads tokenizer.json from a file path or a folder holding it; tokenizer_config.json beside it,
    /// if present, gives the BOS/EOS tokens.
    /// </summary>
    public static ByteLevelBpeTokenizer Load(string fileOrDirectory)
    {
        var file = Directory.Exists(fileOrDirectory) ? Path.Combine(fileOrDirectory, "tokenizer.json") : fileOrDirectory;
        if (!File.Exists(file))
            throw new MantisException(Directory.Exists(fileOrDirectory)
                ? $"tokenizer: folder '{fileOrDirectory}' has no tokenizer.json"
                : $"tokenizer: '{fileOrDirectory}' does not exist");
        var parts = TokenizerJsonReader.Read(file);
        var tok = new ByteLevelBpeTokenizer(parts.Model, parts.PreTokenizer, parts.PostProcessor, parts.AddedTokens);
        var config = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(file))!, "tokenizer_config.json");
        if (File.Exists(config)) tok.ReadConfig(config);
        return tok;
    }

    private void ReadConfig(string path)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            BosId ??= ConfigToken(doc.RootElement, "bos_token");
            EosId = ConfigToken(doc.RootElement, "eos_token");
        }
        catch (JsonException e) { throw new MantisException($"{path}: not valid JSON ({e.Message})", e); }
    }

    // bos_token/eos_token are a string or {"content": ...}.
    private int? ConfigToken(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var v)) return null;
        var content = v.ValueKind switch
        {
            JsonValueKind.String => v.GetString(),
            JsonValueKind.Object when v.TryGetProperty("content", out var c) => c.GetString(),
            _ => null,
        };
        return content is null ? null : TokenToId(content);
    }

    private void Register(AddedToken t)
    {
        _added.Add(t);
        _addedById[t.Id] = t;
        _addedByContent[t.Content] = t;
    }

    /// <summary>
    /// Adds a token matched verbatim in text (Mantis: "&lt;image&gt;" = 128256, "&lt;|pad|&gt;" = 128257).
    /// Without <paramref name="id"/> it gets the next free id. Adding an existing token returns its id
    /// (or fails if a different id was asked for); an id already used by another token fails.
    /// </summary>
    public int AddSpecialToken(string content, int? id = null, bool special = true)
    {
        if (string.IsNullOrEmpty(content)) throw new MantisException("tokenizer: cannot add an empty token");
        var existing = TokenToId(content);
        if (existing is int e)
        {
            if (id is int want && want != e)
                throw new MantisException($"tokenizer: token '{content}' already has id {e}, cannot give it id {want}");
            return e;
        }
        int newId = id ?? VocabSize;
        if (newId < 0) throw new MantisException($"tokenizer: token id {newId} for '{content}' is negative");
        if (IdToToken(newId) is { } other)
            throw new MantisException($"tokenizer: id {newId} is already used by '{other}', cannot give it to '{content}'");
        Register(new AddedToken(newId, content, special));
        _splitter = new AddedTokenSplitter(_added);
        return newId;
    }

    /// <summary>Id of a token string (added token content or byte-level vocab string), or null.</summary>
    public int? TokenToId(string token) =>
        _addedByContent.TryGetValue(token, out var a) ? a.Id : _model.Vocab.TryGetValue(token, out var id) ? id : null;

    /// <summary>Token string of an id (added token content or byte-level vocab string like "Ġworld"), or null.</summary>
    public string? IdToToken(int id) => _addedById.TryGetValue(id, out var a) ? a.Content : _model.IdToToken(id);

    /// <summary>True for ids of special added tokens (those skipped by decoding with skipSpecial).</summary>
    public bool IsSpecial(int id) => _addedById.TryGetValue(id, out var a) && a.Special;

    /// <summary>
    /// Encodes text to ids. <paramref name="parseSpecial"/>: match special tokens written in the text
    /// (HF default); off, "&lt;|eot_id|&gt;" is encoded as ordinary characters.
    /// <paramref name="addBos"/>: null follows the file's post-processor; true adds its tokens, or BOS if it has none.
    /// </summary>
    public int[] Encode(string text, bool parseSpecial = true, bool? addBos = null)
    {
        var ids = new List<int>(text.Length / 3 + 4);
        bool add = addBos ?? AddsBosByDefault;
        if (add) ids.AddRange(PostProcessor.AddsTokens ? PostProcessor.Prefix : BosOrThrow());
        EncodeTo(text, ids, parseSpecial);
        if (add) ids.AddRange(PostProcessor.Suffix);
        return ids.ToArray();
    }

    private int[] BosOrThrow() => BosId is int b ? new[] { b }
        : throw new MantisException("tokenizer: BOS requested but the tokenizer names no BOS token (no post_processor template, no bos_token in tokenizer_config.json)");

    /// <summary>Appends the ids of <paramref name="text"/> (no BOS or other post-processing).</summary>
    public void EncodeTo(string text, List<int> output, bool parseSpecial = true)
    {
        var pieces = new List<(int Start, int Length)>();
        _splitter.Split(text, parseSpecial,
            (start, length) => EncodeText(text, start, length, output, pieces),
            t => output.Add(t.Id));
    }

    private void EncodeText(string text, int start, int length, List<int> output, List<(int Start, int Length)> pieces)
    {
        if (PreTokenizer.AddPrefixSpace && text[start] != ' ')
        {
            text = " " + text.Substring(start, length);
            start = 0;
            length = text.Length;
        }
        pieces.Clear();
        PreTokenizer.Split(text, start, length, pieces);
        foreach (var (s, l) in pieces) _model.EncodePiece(text.AsSpan(s, l), output);
    }

    /// <summary>
    /// Decodes ids to text like HF: byte-level tokens become bytes, added tokens their text, and the bytes
    /// are read as UTF-8 with U+FFFD for invalid sequences. <paramref name="cleanUpSpaces"/> applies
    /// transformers' clean_up_tokenization (" ." -> ".", " n't" -> "n't", ...).
    /// </summary>
    public string Decode(IEnumerable<int> ids, bool skipSpecial = false, bool cleanUpSpaces = false)
    {
        var text = Encoding.UTF8.GetString(DecodeBytes(ids, skipSpecial));
        return cleanUpSpaces ? CleanUp(text) : text;
    }

    /// <summary>Raw bytes of the ids (for streaming detokenization, where a character may span tokens).</summary>
    public byte[] DecodeBytes(IEnumerable<int> ids, bool skipSpecial = false)
    {
        var bytes = new List<byte>();
        foreach (var id in ids)
        {
            if (skipSpecial && IsSpecial(id)) continue;
            bytes.AddRange(TokenBytes(id));
        }
        return bytes.ToArray();
    }

    /// <summary>Bytes one id stands for.</summary>
    public byte[] TokenBytes(int id)
    {
        var token = IdToToken(id) ?? throw new MantisException($"tokenizer: id {id} is not in the vocabulary (size {VocabSize})");
        return ByteLevelAlphabet.DecodeToken(token);
    }

    /// <summary>Writes this tokenizer (run-time added tokens included) as an HF tokenizer.json.</summary>
    public void Save(string path) => TokenizerJsonWriter.Write(this, path);

    /// <summary>Writes tokenizer.json and a tokenizer_config.json naming BOS/EOS into a folder (what HF's from_pretrained reads).</summary>
    public void SaveToDirectory(string directory)
    {
        Directory.CreateDirectory(directory);
        TokenizerJsonWriter.Write(this, Path.Combine(directory, "tokenizer.json"));
        TokenizerJsonWriter.WriteConfig(this, Path.Combine(directory, "tokenizer_config.json"));
    }

    /// <summary>transformers' clean_up_tokenization.</summary>
    public static string CleanUp(string text) => text
        .Replace(" .", ".").Replace(" ?", "?").Replace(" !", "!").Replace(" ,", ",")
        .Replace(" ' ", "'").Replace(" n't", "n't").Replace(" 'm", "'m").Replace(" 's", "'s")
        .Replace(" 've", "'ve").Replace(" 're", "'re");
}
