using MantisNative.Data.Chat;
using MantisNative.Data.Records;
using MantisNative.Data.Synthetic;
using MantisNative.Data.Tokenization;
using NUnit.Framework;

namespace MantisNative.Tests.Data;

/// <summary>The tokenizer corpus of the built-in run: the texts the chat format encodes, cut at its special tokens.</summary>
public class ChatCorpusTests
{
    private string _dir = "";
    private List<InstructRecord> _records = new();

    [OneTimeSetUp]
    public void Setup()
    {
        _dir = Path.Combine(Path.GetTempPath(), $"mantis-chatcorpus-{Guid.NewGuid():N}");
        SyntheticDatasetWriter.Write(_dir, new SyntheticOptions { Train = 120, HeldOut = 0, Seed = 11 });
        _records = RecordReader.ReadAll(Path.Combine(_dir, "train.jsonl"), out _);
    }

    [OneTimeTearDown]
    public void TearDown() => Directory.Delete(_dir, true);

    [Test]
    public void RunsAreTheRenderedTextsWithoutSpecialTokens()
    {
        var runs = ChatCorpus.TextRuns(_records, systemPrompt: "Be brief.").ToList();
        foreach (var special in BpeTrainer.DefaultSpecialTokens)
            Assert.That(runs.Any(r => r.Contains(special)), Is.False, special);
        Assert.That(runs, Has.Member("user").And.Member("assistant").And.Member("system").And.Member("\n\nBe brief."));
        Assert.That(runs.Any(r => r.StartsWith("\n\n(image 1: <Image>")), Is.True, "the first wrapper follows the header's blank line");
        Assert.That(runs, Has.Member("</Image>)(image 2: <Image>"), "the text between two images is one run");
        // one run per header role, per header's "\n\n" + content, and the texts around each image
        Assert.That(runs.Count(r => r == "user"), Is.EqualTo(_records.Sum(r => r.Turns.Count(t => t.RoleName == "user"))));
    }

    [Test]
    public void TrainedOnTheRunsTheWrappersAndHeadersTakeOneTokenPerPreToken()
    {
        var tok = BpeTrainer.Train(ChatCorpus.TextRuns(_records), merges: 400);
        // Llama-3's pre-tokenizer cuts "(image 1: <Image>" into 7 pieces and "</Image>)(image 2: <Image>" into 10
        // ("</", "Image", ">)(", "image", ...); each is one token
        Assert.That(tok.Encode("(image 1: <Image>", addBos: false), Has.Length.EqualTo(7));
        Assert.That(tok.Encode("</Image>)(image 2: <Image>", addBos: false), Has.Length.EqualTo(10));
        foreach (var text in new[] { "user", "assistant", "\n\n" })
            Assert.That(tok.Encode(text, addBos: false), Has.Length.EqualTo(1), text);

        // the raw message contents (what the built-in run trained on before) give longer sequences for the same records
        var raw = BpeTrainer.Train(_records.SelectMany(r => r.Turns.Select(t => t.Content)), merges: 400);
        Assert.That(EncodedLength(tok), Is.LessThan(EncodedLength(raw) * 0.85));
    }

    private int EncodedLength(ByteLevelBpeTokenizer tok)
    {
        var format = new Llama3ChatFormat(tok);
        return _records.Sum(r => format.Encode(r.Id, r.Turns.Select(t => new ChatMessage(t.RoleName, t.Content)).ToList(), r.Images.Count).InputIds.Length);
    }
}
