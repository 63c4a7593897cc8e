using MantisNative.Data.Chat;
using MantisNative.Data.Images;
using MantisNative.Data.Records;
using MantisNative.Data.Video;

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

    /// <summary>
    /// The encoded example, or null with the reason when the record cannot be used (e.g. too long, an unreadable
    /// video). A video entry becomes its <see cref="VideoFrames.DefaultFrames"/> sampled frames (the loader of chat and
    /// eval), and its one &lt;image&gt; tag becomes one tag per frame.
    /// </summary>
    public (TrainingExample? Example, string? SkipReason) Encode(InstructRecord record)
    {
        var perEntry = new List<List<RgbImage>>(record.Images.Count);
        for (int i = 0; i < record.Images.Count; i++)
        {
            var src = record.Images[i];
            try
            {
                perEntry.Add(src.IsVideo ? VideoFrames.Load(src.FilePath!)
                    : new List<RgbImage> { src.IsEmbedded ? ImageDecoder.Decode(src.ReadAllBytes(), src.ToString()) : ImageDecoder.DecodeFile(src.FilePath!) });
            }
            catch (MantisException e)
            {
                return (null, $"record {record.Id} ({record.Location}): {(src.IsVideo ? "video" : "image")} {i + 1} ({src.OriginalPath ?? src.ToString()}): {e.Message}");
            }
        }
        IReadOnlyList<ChatMessage> messages = record.Turns.Select(t => new ChatMessage(t.RoleName, t.Content)).ToList();
        if (record.Images.Any(s => s.IsVideo))
        {
            try { messages = Chat.ImageTags.Expand(messages, perEntry.Select(f => f.Count).ToList(), Records.ImageTags.Tag); }
            catch (MantisException e) { return (null, $"record {record.Id} ({record.Location}): {e.Message}"); }
        }
        var frames = perEntry.SelectMany(f => f).ToList();
        var enc = _chat.Encode(record.Id, messages, frames.Count);
        if (enc.Skipped) return (null, enc.SkipReason);
        var pixels = frames.Select(rgb => _images.Process(rgb).Data).ToList();
        return (new TrainingExample(record.Id, enc.InputIds, enc.Labels ?? enc.InputIds.Select(_ => -100).ToArray(), pixels, record.Metadata), null);
    }
}
