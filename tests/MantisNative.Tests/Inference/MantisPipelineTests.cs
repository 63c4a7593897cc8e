using MantisNative.Inference;
using NUnit.Framework;

namespace MantisNative.Tests.Inference;

public class MantisPipelineTests
{
    private static MantisPipeline Load() => MantisPipeline.Load(TinyModelFolder.Shared.ModelDir);

    // sampling makes a random model say something longer than an immediate end of turn
    private static readonly GenerationOptions Sampled = new() { MaxNewTokens = 24, Temperature = 1.5f, Seed = 3 };

    [Test]
    public async Task StreamedPiecesConcatenateToTheFullAnswer()
    {
        using var mantis = Load();
        var images = TinyModelFolder.Shared.TwoImages;
        var pieces = new List<string>();
        await foreach (var piece in mantis.AskAsync("Which image shows the red shape?", images, Sampled)) pieces.Add(piece);
        Assert.That(pieces, Is.Not.Empty);
        Assert.That(pieces, Has.None.Empty);

        // the same request in one piece, and the same ids decoded at once
        Assert.That(mantis.Ask("Which image shows the red shape?", images, Sampled), Is.EqualTo(string.Concat(pieces)));
        var b = mantis.Bundle;
        var messages = new[] { MantisNative.Data.Chat.ChatMessage.User("<image><image> Which image shows the red shape?") };
        var answer = b.Answer("t", messages, images.Select(b.ProcessImageFile).ToList(), Sampled);
        var ids = answer.Ids.Where(id => !b.StopIds.Contains(id));
        Assert.That(string.Concat(pieces), Is.EqualTo(b.Tokenizer.Decode(ids, skipSpecial: true)));
    }

    [Test]
    public async Task GenerationRunsOffTheCallersThread()
    {
        using var mantis = Load();
        var chat = mantis.StartChat(TinyModelFolder.Shared.TwoImages);
        var enumerator = chat.AskAsync("What colour is the shape in image 1?", Sampled).GetAsyncEnumerator();
        // run inline, the prefill would finish before MoveNextAsync returns; on a worker, the caller gets a pending task at once
        var first = enumerator.MoveNextAsync();
        Assert.That(first.IsCompleted, Is.False, "MoveNextAsync returned before the first token: the model does not run on the caller's thread");
        while (await first) first = enumerator.MoveNextAsync();
        await enumerator.DisposeAsync();
        Assert.That(chat.History, Has.Count.EqualTo(2));
    }

    [Test]
    public void AConversationKeepsImagesAndTurnsAndResets()
    {
        using var mantis = Load();
        var chat = mantis.StartChat(TinyModelFolder.Shared.TwoImages);
        var a1 = chat.Ask("What colour is the shape in image 1?", Sampled);
        Assert.That(chat.History.Select(m => m.Role), Is.EqualTo(new[] { "user", "assistant" }));
        Assert.That(chat.History[0].Content, Is.EqualTo("<image><image> What colour is the shape in image 1?"), "tags put first, as the data set writes them");
        Assert.That(chat.History[1].Content, Is.EqualTo(a1));
        chat.Ask("And in image 2?", Sampled);
        Assert.That(chat.History, Has.Count.EqualTo(4));
        Assert.That(chat.History[2].Content, Is.EqualTo("And in image 2?"));
        Assert.Throws<MantisException>(() => chat.Ask("<image> again?", Sampled), "images are given once per conversation");
        chat.Reset();
        Assert.That(chat.History, Is.Empty);
        Assert.That(chat.Ask("What colour is the shape in image 1?", Sampled), Is.EqualTo(a1), "same prompt, same seed, same answer");
    }

    [Test]
    public void QuestionTagsMustMatchTheImages()
    {
        using var mantis = Load();
        var images = TinyModelFolder.Shared.TwoImages;
        var chat = mantis.StartChat(images);
        chat.Ask("<image> and <image>: same colour?", Sampled);
        Assert.That(chat.History[0].Content, Is.EqualTo("<image> and <image>: same colour?"), "placed tags are kept");
        var e = Assert.Throws<MantisException>(() => mantis.Ask("only <image>?", images, Sampled))!;
        Assert.That(e.Message, Does.Contain("1 <image> tag(s) for 2 image(s)"));
        Assert.Throws<MantisException>(() => mantis.Ask("  ", images, Sampled));
        Assert.Throws<MantisException>(() => mantis.StartChat(new[] { "/no/such.png" }));
    }

    [Test]
    public async Task StoppingEarlyCancelsTheGenerationAndKeepsNoTurn()
    {
        using var mantis = Load();
        var chat = mantis.StartChat(TinyModelFolder.Shared.TwoImages);
        var longRun = Sampled with { MaxNewTokens = 200, StopIds = Array.Empty<int>() };
        await foreach (var _ in chat.AskAsync("Describe the images.", longRun)) break;
        Assert.That(chat.History, Is.Empty);
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.CatchAsync<OperationCanceledException>(async () => { await foreach (var _ in chat.AskAsync("Again.", longRun, cts.Token)) { } });
        // the pipeline is free again
        Assert.That(chat.Ask("What colour is the shape in image 1?", Sampled), Is.Not.Null);
    }

    [Test]
    public void DisposeReleasesTheModel()
    {
        var mantis = Load();
        mantis.Dispose();
        Assert.Throws<ObjectDisposedException>(() => mantis.Ask("What colour?", TinyModelFolder.Shared.TwoImages, Sampled));
        mantis.Dispose();
    }
}
