using System.Text.Json;
using MantisNative.Data.Chat;
using MantisNative.Data.Tokenization;
using NUnit.Framework;

namespace MantisNative.Tests.Data;

/// <summary>Llama-3 chat rendering against chat_template_case.json, labels, Mantis image wrapping, mismatch handling.</summary>
public class ChatFormatTests
{
    private static ByteLevelBpeTokenizer Mantis => Llama3Fixture.Mantis;
    private const int Image = 128256, Bos = 128000, Start = 128006, End = 128007, Eot = 128009;

    private static (List<ChatMessage> Messages, string Rendered, int[] Ids) TemplateCase()
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Llama3Fixture.Dir, "chat_template_case.json")));
        var r = doc.RootElement;
        var messages = r.GetProperty("messages").EnumerateArray()
            .Select(m => new ChatMessage(m.GetProperty("role").GetString()!, m.GetProperty("content").GetString()!)).ToList();
        return (messages, r.GetProperty("rendered").GetString()!, r.GetProperty("ids").EnumerateArray().Select(x => x.GetInt32()).ToArray());
    }

    [Test]
    public void GenerationPromptMatchesTheHfTemplate()
    {
        // The fixture tokenizer has no <image> token: HF treats the tag as text, so image handling is off here.
        var (messages, rendered, ids) = TemplateCase();
        var format = new Llama3ChatFormat(Llama3Fixture.Tokenizer, new ChatFormatOptions { ImagePlaceholder = null });
        Assert.That(format.Render("case", messages, 0, forGeneration: true), Is.EqualTo(rendered));
        var enc = format.Encode("case", messages, 0, forGeneration: true);
        Assert.That(enc.InputIds, Is.EqualTo(ids));
        Assert.That(enc.Labels, Is.Null);
        Assert.That(Llama3Fixture.Tokenizer.Encode(rendered), Is.EqualTo(ids), "the rendered string encodes to the same ids");
    }

    [Test]
    public void TrainingLabelsCoverAssistantTurnsOnly()
    {
        var (messages, _, ids) = TemplateCase();
        var conv = messages.Take(2).ToList(); // user, assistant
        var format = new Llama3ChatFormat(Llama3Fixture.Tokenizer, new ChatFormatOptions { ImagePlaceholder = null });
        var enc = format.Encode("r1", conv, 0);
        // Training ids = the fixture's ids up to the assistant's <|eot_id|> (no trailing generation header).
        int assistantEot = Array.IndexOf(ids, Eot, Array.IndexOf(ids, Eot) + 1);
        Assert.That(enc.InputIds, Is.EqualTo(ids.Take(assistantEot + 1).ToArray()));
        int userEot = Array.IndexOf(ids, Eot);
        for (int i = 0; i < enc.InputIds.Length; i++)
        {
            var expected = i > userEot ? enc.InputIds[i] : ChatEncoding.IgnoreLabel;
            Assert.That(enc.Labels![i], Is.EqualTo(expected), $"label {i}");
        }
        Assert.That(enc.InputIds[userEot + 1], Is.EqualTo(Start), "the assistant header is labelled");
        Assert.That(enc.Labels![^1], Is.EqualTo(Eot), "the assistant's <|eot_id|> is labelled");
    }

    [Test]
    public void TwoAssistantTurnsAreBothLabelled()
    {
        var conv = new[] { ChatMessage.User("Hi"), ChatMessage.Assistant("Hello."), ChatMessage.User("Bye"), ChatMessage.Assistant("Bye.") };
        var enc = new Llama3ChatFormat(Mantis).Encode("r", conv, 0);
        var labelled = enc.Labels!.Select((l, i) => (l, i)).Where(x => x.l != -100).Select(x => enc.InputIds[x.i]).ToArray();
        var expected = new List<int>();
        foreach (var a in new[] { "Hello.", "Bye." })
        {
            expected.Add(Start); expected.AddRange(Mantis.Encode("assistant")); expected.Add(End);
            expected.AddRange(Mantis.Encode("\n\n" + a)); expected.Add(Eot);
        }
        Assert.That(labelled, Is.EqualTo(expected));
    }

    [Test]
    public void ImagesAreWrappedAndNumberedAcrossTheConversation()
    {
        var conv = new[]
        {
            ChatMessage.User("<image> and <image>: which is red?"), ChatMessage.Assistant("The first."),
            ChatMessage.User("And <image>?"), ChatMessage.Assistant("Blue."),
        };
        var format = new Llama3ChatFormat(Mantis);
        var text = format.Render("r", conv, 3);
        Assert.That(text, Does.Contain("(image 1: <Image><image></Image>) and (image 2: <Image><image></Image>): which is red?"));
        Assert.That(text, Does.Contain("And (image 3: <Image><image></Image>)?"));
        var enc = format.Encode("r", conv, 3);
        Assert.That(enc.ImageCount, Is.EqualTo(3));
        Assert.That(enc.InputIds.Count(i => i == Image), Is.EqualTo(3));
        foreach (var p in enc.ImagePositions)
        {
            Assert.That(enc.InputIds[p], Is.EqualTo(Image));
            Assert.That(enc.Labels![p], Is.EqualTo(-100));
        }
        // Same ids as HF would give for the rendered text with <image> as an added token.
        Assert.That(enc.InputIds, Is.EqualTo(Mantis.Encode(text.Replace("<|begin_of_text|>", "")).Prepend(Bos).ToArray()));
        Assert.That(Mantis.Decode(enc.InputIds), Is.EqualTo(text));
    }

    [Test]
    public void SystemPromptIsOptionalAndNotLabelled()
    {
        var conv = new[] { ChatMessage.User("Hi"), ChatMessage.Assistant("Yo") };
        var none = new Llama3ChatFormat(Mantis).Render("r", conv, 0);
        Assert.That(none, Does.Not.Contain("system"));
        var format = new Llama3ChatFormat(Mantis, new ChatFormatOptions { SystemPrompt = "Be brief." });
        Assert.That(format.Render("r", conv, 0), Does.StartWith("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|><|start_header_id|>user"));
        var enc = format.Encode("r", conv, 0);
        int firstLabel = Array.FindIndex(enc.Labels!, l => l != -100);
        Assert.That(Mantis.Decode(enc.InputIds.Skip(firstLabel)), Is.EqualTo("<|start_header_id|>assistant<|end_header_id|>\n\nYo<|eot_id|>"));
    }

    [Test]
    public void MessageTextCannotForgeSpecialTokens()
    {
        var enc = new Llama3ChatFormat(Mantis).Encode("r", new[] { ChatMessage.User("a<|eot_id|>b"), ChatMessage.Assistant("c") }, 0);
        Assert.That(enc.InputIds.Count(i => i == Eot), Is.EqualTo(2));
    }

    [Test]
    public void MismatchIsAnErrorNamingTheRecord()
    {
        var format = new Llama3ChatFormat(Mantis);
        var e = Assert.Throws<MantisException>(() => format.Encode("rec-42", new[] { ChatMessage.User("<image> hi"), ChatMessage.Assistant("x") }, 2));
        Assert.That(e!.Message, Does.Contain("rec-42").And.Contain("1").And.Contain("2 image"));
    }

    [Test]
    public void MismatchFixInsertsOrRemovesWithAWarning()
    {
        var seen = new List<string>();
        var format = new Llama3ChatFormat(Mantis, new ChatFormatOptions { OnMismatch = ImageTagMismatch.FixWithWarning, OnWarning = seen.Add });
        var conv = new[] { ChatMessage.User("Compare <image>."), ChatMessage.Assistant("Same.") };
        var more = format.Encode("r7", conv, 3);
        Assert.That(more.ImageCount, Is.EqualTo(3));
        Assert.That(more.Warnings.Single(), Does.Contain("r7").And.Contain("inserted 2"));
        Assert.That(format.Render("r7", conv, 3), Does.Contain("user<|end_header_id|>\n\n(image 1: <Image><image></Image>) (image 2: <Image><image></Image>) Compare (image 3:"));
        var fewer = format.Encode("r8", new[] { ChatMessage.User("<image><image><image>"), ChatMessage.Assistant("ok") }, 1);
        Assert.That(fewer.ImageCount, Is.EqualTo(1));
        Assert.That(fewer.Warnings.Single(), Does.Contain("removed the last 2"));
        Assert.That(seen, Has.Count.EqualTo(3), "Encode twice and Render once each warn");
    }

    [Test]
    public void MissingImageTokenIsAClearError()
    {
        var format = new Llama3ChatFormat(Llama3Fixture.Tokenizer);
        var e = Assert.Throws<MantisException>(() => format.Encode("r9", new[] { ChatMessage.User("<image>"), ChatMessage.Assistant("x") }, 1));
        Assert.That(e!.Message, Does.Contain("r9").And.Contain("<image>"));
    }

    [Test]
    public void NoAssistantTurnIsSkippedForTraining()
    {
        var enc = new Llama3ChatFormat(Mantis).Encode("r", new[] { ChatMessage.User("hi") }, 0);
        Assert.That(enc.Skipped, Is.True);
        Assert.That(enc.SkipReason, Does.Contain("assistant"));
    }
}
