namespace MantisNative.Inference;

/// <summary>
/// The library entry point for C# hosts: load a model folder once, then ask questions about images and stream the
/// answers.
/// <code>
/// using var mantis = MantisPipeline.Load("runs/default/final");
/// await foreach (var piece in mantis.AskAsync("Which image shows the blue shape?", new[] { "a.png", "b.png" }))
///     Console.Write(piece);
/// </code>
/// Images are given once per question (or once per <see cref="MantisChat"/> conversation). When the question holds
/// no "&lt;image&gt;" tag, one tag per image is inserted at the start of the first user message ("&lt;image&gt;&lt;image&gt; question",
/// the layout of Mantis-Instruct's multi-image records); a question may instead place the tags itself, one per image.
/// Generation runs on a worker thread, so a UI thread that awaits the pieces stays responsive; one generation runs at a
/// time (calls queue). Dispose releases the model (a running generation is cancelled first).
/// </summary>
public sealed class MantisPipeline : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly CancellationTokenSource _disposing = new();
    private int _disposed;

    public ModelBundle Bundle { get; }
    public MantisPipelineOptions Options { get; }

    private MantisPipeline(ModelBundle bundle, MantisPipelineOptions options)
    {
        Bundle = bundle;
        Options = options;
    }

    /// <summary>Loads a model folder (config.json, model.safetensors, tokenizer.json, optional preprocessor_config.json and chat_config.json).</summary>
    public static MantisPipeline Load(string folder, MantisPipelineOptions? options = null)
    {
        options ??= new MantisPipelineOptions();
        var bundle = ModelBundle.Load(folder, options.SystemPrompt, options.Load);
        // on a GPU the weights move once here; Generator copies each call's pixels there and reads logits back
        try
        {
            if (options.Device.IsCuda) bundle.Model.To(options.Device);
        }
        catch
        {
            bundle.Dispose();
            throw;
        }
        return new MantisPipeline(bundle, options);
    }

    /// <summary>A conversation about <paramref name="imagePaths"/> (read and processed now, so a bad file fails here).</summary>
    public MantisChat StartChat(IReadOnlyList<string> imagePaths)
    {
        ThrowIfDisposed();
        return new MantisChat(this, imagePaths);
    }

    /// <summary>One question about the images, the answer streamed in pieces of complete characters as tokens arrive.</summary>
    public IAsyncEnumerable<string> AskAsync(string question, IReadOnlyList<string> imagePaths, GenerationOptions? options = null,
        CancellationToken ct = default) => StartChat(imagePaths).AskAsync(question, options, ct);

    /// <summary>One question, answered in full on the calling thread's behalf (it blocks until the answer is complete).</summary>
    public string Ask(string question, IReadOnlyList<string> imagePaths, GenerationOptions? options = null, CancellationToken ct = default) =>
        StartChat(imagePaths).Ask(question, options, ct);

    /// <summary>Runs one generation at a time, cancelled by the caller or by Dispose.</summary>
    internal GeneratedAnswer Generate(Func<CancellationToken, GeneratedAnswer> run, CancellationToken ct)
    {
        ThrowIfDisposed();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, _disposing.Token);
        _gate.Wait(linked.Token);
        try
        {
            ThrowIfDisposed();
            return run(linked.Token);
        }
        finally { _gate.Release(); }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _disposing.Cancel();
        _gate.Wait(); // the running generation sees the cancellation at its next token
        Bundle.Dispose();
        _gate.Release();
    }
}
