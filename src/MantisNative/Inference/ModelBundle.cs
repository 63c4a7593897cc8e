using MantisNative.Data.Chat;
using MantisNative.Data.Images;
using MantisNative.Data.Tokenization;
using MantisNative.IO;
using MantisNative.Models;
using MantisNative.Models.Config;

namespace MantisNative.Inference;

/// <summary>
/// Everything a model folder holds, ready to answer: the model, its tokenizer, the Llama-3 chat format (with the
/// system prompt of chat_config.json, if any) and the image processor (preprocessor_config.json, else the
/// processor class's defaults at the vision tower's image size). Disposing releases the model's memory.
/// </summary>
public sealed partial class ModelBundle : IDisposable
{
    public const string TokenizerFileName = "tokenizer.json";
    public const string PreprocessorFileName = "preprocessor_config.json";
    public const string EndOfTurnToken = "<|eot_id|>";

    private readonly IDisposable? _owned;
    private readonly int[] _stopIds;

    /// <summary>The folder the bundle was loaded from; null for one made from parts in memory.</summary>
    public string? Folder { get; }
    public MantisModel Model { get; }
    public LlavaConfig Config => Model.Config;
    public ByteLevelBpeTokenizer Tokenizer { get; }
    public Llama3ChatFormat ChatFormat { get; }
    public ImageProcessor ImageProcessor { get; }

    /// <summary>Ids that end an answer: &lt;|eot_id|&gt; and the eos ids of config.json and tokenizer_config.json.</summary>
    public IReadOnlyList<int> StopIds => _stopIds;

    private ModelBundle(string? folder, MantisModel model, IDisposable? owned, ByteLevelBpeTokenizer tokenizer, Llama3ChatFormat chat, ImageProcessor images, int[] stopIds)
    {
        Folder = folder;
        Model = model;
        _owned = owned;
        Tokenizer = tokenizer;
        ChatFormat = chat;
        ImageProcessor = images;
        _stopIds = stopIds;
    }

    /// <summary>
    /// Loads a model folder. The small files are read and checked against each other before the weights, so a
    /// wrong folder fails at once; every problem is a <see cref="MantisException"/> naming the file.
    /// </summary>
    /// <param name="systemPrompt">overrides chat_config.json's system prompt when not null ("" = none)</param>
    /// <param name="load">how strictly the weights must match config.json (default: unused tensors are an error)</param>
    public static ModelBundle Load(string folder, string? systemPrompt = null, ModelLoadOptions? load = null)
    {
        if (string.IsNullOrWhiteSpace(folder)) throw new MantisException("model folder: empty path");
        if (!Directory.Exists(folder))
            throw new MantisException(File.Exists(folder) ? $"{folder}: expected a model folder, got a file" : $"{folder}: model folder not found");
        var config = LlavaConfigFile.Load(folder);
        var tokenizerPath = Path.Combine(folder, TokenizerFileName);
        if (!File.Exists(tokenizerPath)) throw new MantisException($"{tokenizerPath}: not found (a model folder needs its tokenizer.json)");
        var tokenizer = ByteLevelBpeTokenizer.Load(tokenizerPath);
        CheckTokenizer(tokenizer, config, tokenizerPath);

        var prompt = systemPrompt ?? ChatConfig.Load(folder).SystemPrompt;
        var chat = ChatFormatFor(tokenizer, config, prompt);
        var preprocessor = Path.Combine(folder, PreprocessorFileName);
        var images = File.Exists(preprocessor) ? ImageProcessor.FromConfig(preprocessor) : DefaultImageProcessor(config);
        var stops = StopIdsOf(tokenizer, config);

        var loaded = ModelFiles.Load(folder, load);
        return new ModelBundle(Path.GetFullPath(folder), loaded.Model, loaded, tokenizer, chat, images, stops);
    }

    /// <summary>
    /// A bundle around a model already in memory (the trainer evaluates its model this way without saving it).
    /// Disposing the bundle disposes the model only when <paramref name="ownsModel"/> is true.
    /// </summary>
    /// <param name="images">null: the processor class's defaults at the vision tower's image size</param>
    public static ModelBundle Create(MantisModel model, ByteLevelBpeTokenizer tokenizer, ImageProcessor? images = null,
        string? systemPrompt = null, bool ownsModel = false)
    {
        CheckTokenizer(tokenizer, model.Config, "tokenizer");
        return new ModelBundle(null, model, ownsModel ? model : null, tokenizer, ChatFormatFor(tokenizer, model.Config, systemPrompt),
            images ?? DefaultImageProcessor(model.Config), StopIdsOf(tokenizer, model.Config));
    }

    private static Llama3ChatFormat ChatFormatFor(ByteLevelBpeTokenizer tokenizer, LlavaConfig config, string? systemPrompt) =>
        new(tokenizer, new ChatFormatOptions
        {
            SystemPrompt = string.IsNullOrEmpty(systemPrompt) ? null : systemPrompt,
            ImageTokenLength = config.ImageTokensPerImage,
        });

    private static ImageProcessor DefaultImageProcessor(LlavaConfig config) =>
        ImageProcessor.ForVisionConfig(config.Vision.HfModelType, config.Vision.ImageSize);

    private static void CheckTokenizer(ByteLevelBpeTokenizer tokenizer, LlavaConfig config, string path)
    {
        var image = tokenizer.TokenToId("<image>")
            ?? throw new MantisException($"{path}: has no '<image>' token (config.json's image_token_index is {config.ImageTokenIndex})");
        if (image != config.ImageTokenIndex)
            throw new MantisException($"{path}: '<image>' has id {image} but config.json's image_token_index is {config.ImageTokenIndex}");
        if (tokenizer.VocabSize > config.Text.VocabSize)
            throw new MantisException($"{path}: {tokenizer.VocabSize} token ids do not fit the model's vocab_size {config.Text.VocabSize} (config.json)");
        if (tokenizer.BosId is null && tokenizer.TokenToId("<|begin_of_text|>") is null)
            throw new MantisException($"{path}: has no '<|begin_of_text|>' token, which starts every Llama-3 chat");
        if (tokenizer.TokenToId(EndOfTurnToken) is null)
            throw new MantisException($"{path}: has no '{EndOfTurnToken}' token, which ends every Llama-3 chat turn");
    }

    /// <summary>
    /// &lt;|eot_id|&gt; ends an assistant turn; eos ids of the config (top level and text_config) and of
    /// tokenizer_config.json end the text.
    /// An eos id that the tokenizer holds as an ordinary token is left out: transformers' LlamaConfig default
    /// eos_token_id 2 lands on a byte token in small vocabularies, and stopping there would cut answers short.
    /// </summary>
    private static int[] StopIdsOf(ByteLevelBpeTokenizer tokenizer, LlavaConfig config)
    {
        var ids = new List<int> { tokenizer.TokenToId(EndOfTurnToken)!.Value };
        var eos = config.EosTokenIds.Concat(config.Text.EosTokenIds);
        if (tokenizer.EosId is int tokEos) eos = eos.Append(tokEos); // tokenizer_config.json's eos_token
        foreach (var id in eos)
            if (!ids.Contains(id) && (tokenizer.IsSpecial(id) || tokenizer.IdToToken(id) is null)) ids.Add(id);
        return ids.ToArray();
    }

    public void Dispose() => _owned?.Dispose();
}
