using System.Runtime.CompilerServices;
using System.Threading.Channels;
using MantisNative.Data.Chat;
using MantisNative.Data.Images;
using MantisNative.Data.Video;

namespace MantisNative.Inference;

/// <summary>
/// A multi-turn conversation about a fixed set of images: the images are processed once, each question sees every
/// earlier question and answer. The first question gets the images' "&lt;image&gt;" tags at its start unless it places
/// them itself (then it must hold one per image); later questions must hold none. A video (a folder of frames, an
/// animated GIF, or a video file) counts as the <see cref="VideoFrames.DefaultFrames"/> frames sampled from it, one
/// image each. Not for use from several threads at once.
/// </summary>
public sealed class MantisChat
{
    private const string Tag = "<image>";
    private readonly MantisPipeline _pipeline;
    private readonly List<ProcessedImage> _images;
    private readonly List<ChatMessage> _turns = new();
    private Tensors.Tensor? _features; // the images' features, computed on the first question and reused by every later one

    /// <summary>Timings of the last complete answer (time to first token, decode tokens/s).</summary>
    public GenerationStats? LastStats { get; private set; }

    public IReadOnlyList<string> ImagePaths { get; }

    /// <summary>The user and assistant turns so far, as the model sees them (tags included).</summary>
    public IReadOnlyList<ChatMessage> History => _turns;

    internal MantisChat(MantisPipeline pipeline, IReadOnlyList<string> imagePaths)
    {
        _pipeline = pipeline;
        ImagePaths = imagePaths.ToArray();
        _images = ImagePaths.SelectMany(p => VideoFrames.IsVideo(p)
            ? VideoFrames.Load(p).Select(pipeline.Bundle.ImageProcessor.Process)
            : new[] { pipeline.Bundle.ProcessImageFile(p) }).ToList();
    }

    /// <summary>Forgets the turns; keeps the images.</summary>
    public void Reset() => _turns.Clear();

    /// <summary>
    /// Asks the next question; the answer streams in pieces of complete characters, produced on a worker thread.
    /// The turn joins the history once the answer is complete (not when it is cancelled or fails).
    /// </summary>
    public async IAsyncEnumerable<string> AskAsync(string question, GenerationOptions? options = null,
        [EnumeratorCancellation] CancellationToken ct = default)
    {
        var user = UserMessage(question);
        var messages = _turns.Append(user).ToList();
        var o = options ?? _pipeline.Options.Generation;
        var channel = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var producer = Task.Run(() =>
        {
            try
            {
                return _pipeline.Generate(token =>
                {
                    var clock = System.Diagnostics.Stopwatch.StartNew();
                    bool encoded = false;
                    if (_features is null && _images.Count > 0) { _features = _pipeline.Bundle.EncodeImages(_images); encoded = true; }
                    double vision = clock.Elapsed.TotalSeconds;
                    var answer = _pipeline.Bundle.Answer("chat", messages, _images, o, p => channel.Writer.TryWrite(p), token, _features);
                    if (encoded && answer.Stats is { } s)
                    {
                        // this turn paid for the images: count their encoding in its time to first token
                        s.ImagesEncoded = _images.Count;
                        s.VisionSeconds = vision;
                        s.TimeToFirstTokenSeconds += vision;
                    }
                    return answer;
                }, stop.Token);
            }
            finally { channel.Writer.TryComplete(); } // errors surface from `await producer` with their own type
        }, CancellationToken.None);

        bool finished = false;
        try
        {
            await foreach (var piece in channel.Reader.ReadAllAsync(ct).ConfigureAwait(false)) yield return piece;
            var answer = await producer.ConfigureAwait(false);
            LastStats = answer.Stats;
            _turns.Add(user);
            _turns.Add(ChatMessage.Assistant(answer.Text));
            finished = true;
        }
        finally
        {
            if (!finished)
            {
                // the caller stopped reading (break, cancellation, error): stop generating and wait for the worker
                stop.Cancel();
                try { await producer.ConfigureAwait(false); } catch (Exception) { /* already reported or not wanted */ }
            }
        }
    }

    /// <summary>Asks and waits for the whole answer.</summary>
    public string Ask(string question, GenerationOptions? options = null, CancellationToken ct = default) =>
        string.Concat(AskAsync(question, options, ct).ToBlockingEnumerable(ct));

    private ChatMessage UserMessage(string question)
    {
        if (string.IsNullOrWhiteSpace(question)) throw new MantisException("the question is empty");
        int tags = ImageTags.CountIn(question, Tag);
        if (_turns.Count > 0)
        {
            if (tags > 0)
                throw new MantisException($"the question holds {tags} {Tag} tag(s), but images are given once per conversation (in its first question)");
            return ChatMessage.User(question);
        }
        if (tags == 0 && _images.Count > 0)
            return ChatMessage.User(string.Concat(Enumerable.Repeat(Tag, _images.Count)) + " " + question.Trim());
        if (tags != _images.Count)
            throw new MantisException($"the question holds {tags} {Tag} tag(s) for {_images.Count} image(s) (a video counts as its frames): give one per image, or none to have them put first");
        return ChatMessage.User(question);
    }
}
