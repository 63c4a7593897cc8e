using MantisNative.Data.Chat;
using MantisNative.Data.Images;
using MantisNative.Data.Records;

namespace MantisNative.Data.Loading;

/// <summary>
/// Turns validated records into <see cref="TrainingExample"/>s: Llama-3 chat format with Mantis image wrapping,
/// labels on assistant turns, images decoded and preprocessed. Safe to call from several threads.
/// </summary>
public sealed class ExampleEncoder
{
    private readonly Llama3ChatFormat _chat;
    private readonly ImageProcessor _images;

    public ExampleEncoder(Llama3ChatFormat chat, ImageProcessor images)
    {
        _chat = chat;
        _images = images;
    }

    /// <summary>The encoded example, or null with the reason when the record cannot be used (e.g. too long).</summary>
    public (TrainingExample? Example, string? SkipReason) Encode(InstructRecord record)
    {
        var messages = record.Turns.Select(t => new ChatMessage(t.RoleName, t.Content)).ToList();
        var enc = _chat.Encode(record.Id, messages, record.Images.Count);
        if (enc.Skipped) return (null, enc.SkipReason);
        var pixels = new List<float[]>(record.Images.Count);
        foreach (var src in record.Images)
        {
            try
            {
                var rgb = src.IsEmbedded ? ImageDecoder.Decode(src.ReadAllBytes(), src.ToString()) : ImageDecoder.DecodeFile(src.FilePath!);
                pixels.Add(_images.Process(rgb).Data);
            }
            catch (MantisException e) { return (null, e.Message); }
        }
        return (new TrainingExample(record.Id, enc.InputIds, enc.Labels ?? enc.InputIds.Select(_ => -100).ToArray(), pixels, record.Metadata), null);
    }
}
