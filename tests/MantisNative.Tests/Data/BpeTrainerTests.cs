using MantisNative.Data.Chat;
using MantisNative.Data.Tokenization;
using NUnit.Framework;

namespace MantisNative.Tests.Data;

/// <summary>The small-tokenizer builder: training, saving as tokenizer.json, loading back.</summary>
public class BpeTrainerTests
{
    private static readonly string[] Corpus =
    {
        "The red circle is above the blue square.",
        "Which image shows more cats? The second image shows three cats.",
        "Compare the two images: the first is brighter than the second.",
        "There are two wallets in image 1 and four wallets in image 2.",
        "Answer with the option's letter from the given choices directly.",
    };

    private static string TempDir()
    {
        var d = Path.Combine(Path.GetTempPath(), "mantis-bpe-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(d);
        return d;
    }

    [Test]
    public void TrainsSavesAndLoadsBack()
    {
        var tok = BpeTrainer.Train(Corpus, merges: 120);
        Assert.That(tok.Model.Merges.Count, Is.InRange(20, 120));
        Assert.That(tok.VocabSize, Is.EqualTo(256 + tok.Model.Vocab.Count - 256 + BpeTrainer.DefaultSpecialTokens.Length));
        var dir = TempDir();
        try
        {
            tok.SaveToDirectory(dir);
            var back = ByteLevelBpeTokenizer.Load(dir);
            Assert.That(back.VocabSize, Is.EqualTo(tok.VocabSize));
            Assert.That(back.EosId, Is.EqualTo(tok.TokenToId("<|end_of_text|>")).And.Not.Null);
            Assert.That(back.BosId, Is.EqualTo(tok.TokenToId("<|begin_of_text|>")));
            Assert.That(back.AddsBosByDefault, Is.True);
            foreach (var text in Corpus.Append("Unseen wörds 🧪 and <image> tags<|eot_id|>"))
            {
                var ids = tok.Encode(text);
                Assert.That(back.Encode(text), Is.EqualTo(ids), text);
                Assert.That(back.Decode(ids, skipSpecial: true), Is.EqualTo(text.Replace("<image>", "").Replace("<|eot_id|>", "")));
                Assert.That(back.Decode(ids), Is.EqualTo("<|begin_of_text|>" + text));
            }
        }
        finally { Directory.Delete(dir, true); }
    }

    [Test]
    public void MergesCompressTrainingText()
    {
        var tok = BpeTrainer.Train(Corpus, merges: 200);
        var text = Corpus[1];
        Assert.That(tok.Encode(text, addBos: false).Length, Is.LessThan(text.Length / 2));
        Assert.That(tok.Encode(" the", addBos: false), Has.Length.EqualTo(1));
    }

    [Test]
    public void TrainingIsDeterministic() =>
        Assert.That(BpeTrainer.Train(Corpus, 80).Model.Merges, Is.EqualTo(BpeTrainer.Train(Corpus, 80).Model.Merges));

    [Test]
    public void SmallTokenizerRunsTheChatFormat()
    {
        var tok = BpeTrainer.Train(Corpus, merges: 100);
        var enc = new Llama3ChatFormat(tok).Encode("s1", new[] { ChatMessage.User("<image> what?"), ChatMessage.Assistant("A cat.") }, 1);
        Assert.That(enc.ImageCount, Is.EqualTo(1));
        Assert.That(enc.InputIds[enc.ImagePositions[0]], Is.EqualTo(tok.TokenToId("<image>")));
        Assert.That(enc.InputIds.All(i => i < tok.VocabSize), Is.True);
    }

    [Test]
    public void Llama3WithAddedTokensSavesAndLoadsBack()
    {
        var tok = Llama3Fixture.Mantis;
        var dir = TempDir();
        try
        {
            tok.Save(Path.Combine(dir, "tokenizer.json"));
            var back = ByteLevelBpeTokenizer.Load(Path.Combine(dir, "tokenizer.json"));
            Assert.That(back.VocabSize, Is.EqualTo(128258));
            Assert.That(back.Model.IgnoreMerges, Is.True);
            // Cases with an "<image>" tag differ on purpose: it is now a token.
            foreach (var c in TokenizerCasesTests.Cases().Where(c => !c.Text.Contains("<image>")))
                Assert.That(back.Encode(c.Text, addBos: false), Is.EqualTo(c.IdsNoBos), c.Name);
            Assert.That(back.Encode("a<image>b<|pad|>"), Is.EqualTo(new[] { 64, 128256, 65, 128257 }));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Test]
    public void RefusesUnsupportedFilesByName()
    {
        var dir = TempDir();
        try
        {
            var path = Path.Combine(dir, "tokenizer.json");
            File.WriteAllText(path, "{\"model\":{\"type\":\"WordPiece\",\"vocab\":{}}}");
            var e = Assert.Throws<MantisException>(() => ByteLevelBpeTokenizer.Load(path));
            Assert.That(e!.Message, Does.Contain(path).And.Contain("WordPiece"));
            File.WriteAllText(path, "{ not json");
            Assert.That(Assert.Throws<MantisException>(() => ByteLevelBpeTokenizer.Load(dir))!.Message, Does.Contain(path));
        }
        finally { Directory.Delete(dir, true); }
    }
}
