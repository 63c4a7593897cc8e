using MantisNative.Tensors;
using MantisNative.Data.Chat;
using MantisNative.Data.Images;
using MantisNative.Data.Records;

namespace MantisNative.Inference;

/// <summary>Prompt encoding, image preprocessing and answer generation with the bundle's parts.</summary>
public sealed partial class ModelBundle
{
    /// <summary>The processed [3, H, W] image of a file (errors name the file).</summary>
    public ProcessedImage ProcessImageFile(string path) => ImageProcessor.ProcessFile(path);

    /// <summary>The processed image of a record's image (a file, or bytes embedded in the record).</summary>
    public ProcessedImage ProcessImage(ImageSource source) => source.IsEmbedded
        ? ImageProcessor.Process(ImageDecoder.Decode(source.Bytes!.Value.Span, source.ToString(), ImageProcessor.DecodeOptions))
        : ImageProcessor.ProcessFile(source.FilePath!);

    /// <summary>
    /// The images' features [N, tokens per image, hidden] (vision tower + projector, no gradient), computed once so
    /// that later answers about the same images skip the tower; null for no images. The caller owns the tensor.
    /// </summary>
    public Tensor? EncodeImages(IReadOnlyList<ProcessedImage> images)
    {
        using var pixels = PixelBatch.Stack(images);
        if (pixels is null) return null;
        using (Autograd.Tape.NoGrad())
        {
            using var onDevice = pixels.Device == Model.Device ? null : pixels.To(Model.Device);
            return Model.ImageFeatures(onDevice ?? pixels);
        }
    }

    /// <summary>
    /// Prompt ids of a conversation for generation: the chat format with an assistant header at the end.
    /// The messages must hold exactly one "&lt;image&gt;" per image.
    /// </summary>
    public int[] EncodePrompt(string id, IReadOnlyList<ChatMessage> messages, int imageCount)
    {
        var enc = ChatFormat.Encode(id, messages, imageCount, forGeneration: true);
        if (enc.Skipped) throw new MantisException($"{id}: cannot build the prompt: {enc.SkipReason}");
        return enc.InputIds;
    }

    /// <summary>
    /// Generates the assistant's next turn. <paramref name="onPiece"/> receives the text as it is produced, in
    /// complete characters; the pieces concatenated equal the returned text. The bundle's stop ids are added to
    /// the options' own. Thread-safe: each call has its own KV cache (calls may run side by side).
    /// </summary>
    /// <param name="imageFeatures">the images' features from <see cref="EncodeImages"/> (a chat keeps them across turns), or null to encode them here</param>
    public GeneratedAnswer Answer(string id, IReadOnlyList<ChatMessage> messages, IReadOnlyList<ProcessedImage> images,
        GenerationOptions options, Action<string>? onPiece = null, CancellationToken cancel = default, Tensor? imageFeatures = null)
    {
        if (imageFeatures is not null && imageFeatures.Dim(0) != images.Count)
            throw new ArgumentException($"{imageFeatures.Dim(0)} images' features given for {images.Count} images", nameof(imageFeatures));
        if (options.MaxNewTokens < 1) throw new MantisException($"max new tokens must be at least 1, got {options.MaxNewTokens}");
        var prompt = EncodePrompt(id, messages, images.Count);
        var stops = options.StopIds.Count == 0 ? _stopIds : options.StopIds.Concat(_stopIds).Distinct().ToArray();
        var run = options with { StopIds = stops };
        var detok = new StreamingDetokenizer(Tokenizer);
        var ids = new List<int>();
        bool stopped = false;
        using var pixels = imageFeatures is null ? PixelBatch.Stack(images) : null;
        var stats = new GenerationStats();
        foreach (var token in Generator.Generate(Model, prompt, pixels, run, cancel: cancel, imageFeatures: imageFeatures, stats: stats))
        {
            ids.Add(token);
            if (stops.Contains(token)) { stopped = true; break; }
            var piece = detok.Push(token);
            if (piece.Length > 0) onPiece?.Invoke(piece);
        }
        var rest = detok.Flush();
        if (rest.Length > 0) onPiece?.Invoke(rest);
        return new GeneratedAnswer(detok.Text, ids, stopped) { Stats = stats };
    }
}
