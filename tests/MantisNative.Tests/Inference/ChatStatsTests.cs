using MantisNative.Data.Chat;
using MantisNative.Inference;
using NUnit.Framework;

namespace MantisNative.Tests.Inference;

/// <summary>Chat reuses its images' features across turns, and answers report time to first token and decode rate.</summary>
public class ChatStatsTests
{
    private static readonly GenerationOptions Sampled = new() { MaxNewTokens = 12, Temperature = 1.5f, Seed = 3 };

    [Test]
    public void TheVisionTowerRunsOnceAChatAndLaterTurnsReuseItsFeatures()
    {
        using var mantis = MantisPipeline.Load(TinyModelFolder.Shared.ModelDir);
        var chat = mantis.StartChat(TinyModelFolder.Shared.TwoImages);
        chat.Ask("What colour is the shape in image 1?", Sampled);
        var first = chat.LastStats!;
        Assert.That(first.ImagesEncoded, Is.EqualTo(2));
        Assert.That(first.VisionSeconds, Is.GreaterThan(0));
        Assert.That(first.TimeToFirstTokenSeconds, Is.GreaterThanOrEqualTo(first.VisionSeconds));
        Assert.That(first.PromptTokens, Is.GreaterThan(2 * mantis.Bundle.Model.Config.ImageTokensPerImage));
        var a2 = chat.Ask("And in image 2?", Sampled);
        var second = chat.LastStats!;
        Assert.That(second.ImagesEncoded, Is.EqualTo(0), "the second turn reused the features");
        Assert.That(second.VisionSeconds, Is.EqualTo(0));
        Assert.That(second.PromptTokens, Is.GreaterThan(first.PromptTokens));

        // the cached features give the answer a fresh encoding gives
        var b = mantis.Bundle;
        var images = TinyModelFolder.Shared.TwoImages.Select(b.ProcessImageFile).ToList();
        var fresh = b.Answer("t", chat.History.Take(2).Append(ChatMessage.User("And in image 2?")).ToList(), images, Sampled);
        Assert.That(fresh.Text, Is.EqualTo(a2));
        Assert.That(fresh.Stats!.ImagesEncoded, Is.EqualTo(2));
    }

    [Test]
    public void AnAnswerReportsItsDecodeTokensAndRate()
    {
        using var mantis = MantisPipeline.Load(TinyModelFolder.Shared.ModelDir);
        var b = mantis.Bundle;
        var images = TinyModelFolder.Shared.TwoImages.Select(b.ProcessImageFile).ToList();
        var answer = b.Answer("t", new[] { ChatMessage.User("<image><image> Which image shows the red shape?") }, images, Sampled);
        var s = answer.Stats!;
        // every token after the first is one decode step (the stop id, if one ended it, included)
        Assert.That(answer.Ids.Count, Is.GreaterThan(1), "sampling this random model gives more than one token");
        Assert.That(s.DecodeTokens, Is.EqualTo(answer.Ids.Count - 1));
        Assert.That(s.DecodeSeconds, Is.GreaterThan(0));
        Assert.That(s.DecodeTokensPerSecond, Is.EqualTo(s.DecodeTokens / s.DecodeSeconds).Within(1e-9));
        Assert.That(s.ToString(), Does.Contain("time to first token").And.Contain("tokens/s"));
    }
}
