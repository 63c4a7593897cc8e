using MantisNative.Data.Chat;
using MantisNative.Data.Tokenization;
using NUnit.Framework;

namespace MantisNative.Tests.Data;

/// <summary>MaxLength truncation counts images expanded, never cuts an image, and skips examples it would damage.</summary>
public class ChatTruncationTests
{
    private static ByteLevelBpeTokenizer Mantis => Llama3Fixture.Mantis;

    private static readonly ChatMessage[] Conv =
    {
        ChatMessage.User("Look at <image> please."),
        ChatMessage.Assistant("It is a long answer about the picture, with many words in it, to be cut."),
    };

    private static ChatEncoding Encode(int? max, int perImage = 728, bool gen = false) =>
        new Llama3ChatFormat(Mantis, new ChatFormatOptions { MaxLength = max, ImageTokenLength = perImage }).Encode("t1", Conv, 1, gen);

    [Test]
    public void ExpandedLengthCountsImageFeatures()
    {
        var full = Encode(null);
        Assert.That(full.ExpandedLength, Is.EqualTo(full.InputIds.Length + 727));
        Assert.That(full.Truncated, Is.False);
    }

    [Test]
    public void CutsTheEndOfTheAnswer()
    {
        var full = Encode(null);
        var cut = Encode(full.ExpandedLength - 5);
        Assert.That(cut.Skipped, Is.False);
        Assert.That(cut.Truncated, Is.True);
        Assert.That(cut.ExpandedLength, Is.EqualTo(full.ExpandedLength - 5));
        Assert.That(cut.InputIds, Is.EqualTo(full.InputIds.Take(full.InputIds.Length - 5).ToArray()));
        Assert.That(cut.Labels, Is.EqualTo(full.Labels!.Take(full.InputIds.Length - 5).ToArray()));
        Assert.That(cut.ImagePositions, Is.EqualTo(full.ImagePositions));
    }

    [Test]
    public void WouldCutAnImageIsSkipped()
    {
        var full = Encode(null);
        var enc = Encode(full.ImagePositions[0] + 100);
        Assert.That(enc.Skipped, Is.True);
        Assert.That(enc.SkipReason, Does.Contain("image 1"));
        Assert.That(enc.InputIds, Is.Empty);
    }

    [Test]
    public void RemovingAllAssistantTokensIsSkipped()
    {
        var full = Encode(null, perImage: 1);
        int firstLabel = Array.FindIndex(full.Labels!, l => l != -100);
        var enc = Encode(firstLabel, perImage: 1);
        Assert.That(enc.Skipped, Is.True);
        Assert.That(enc.SkipReason, Does.Contain("assistant"));
        var one = Encode(firstLabel + 1, perImage: 1);
        Assert.That(one.Skipped, Is.False);
        Assert.That(one.Labels!.Count(l => l != -100), Is.EqualTo(1));
    }

    [Test]
    public void TooLongPromptIsSkippedNotCut()
    {
        var gen = Encode(null, gen: true);
        Assert.That(Encode(gen.ExpandedLength, gen: true).Skipped, Is.False);
        var enc = Encode(gen.ExpandedLength - 1, gen: true);
        Assert.That(enc.Skipped, Is.True);
        Assert.That(enc.SkipReason, Does.Contain("prompt"));
    }
}
