using MantisNative.Data.Tokenization;
using MantisNative.Inference;
using NUnit.Framework;

namespace MantisNative.Tests.Inference;

public class StreamingDetokenizerTests
{
    // no merges: every byte is its own token, so each multi-byte character spans several tokens
    private static readonly ByteLevelBpeTokenizer Bytes = BpeTrainer.Train(new[] { "x" }, 0);

    [TestCase("héllo wörld")]
    [TestCase("emoji 😀 and 中文!")]
    [TestCase("")]
    public void PiecesAreCompleteCharactersAndConcatenateToTheDecode(string text)
    {
        var ids = Bytes.Encode(text, addBos: false);
        var detok = new StreamingDetokenizer(Bytes);
        var pieces = ids.Select(detok.Push).ToList();
        pieces.Add(detok.Flush());
        Assert.That(string.Concat(pieces), Is.EqualTo(text));
        Assert.That(string.Concat(pieces), Is.EqualTo(Bytes.Decode(ids)));
        Assert.That(pieces.Any(p => p.Contains('\uFFFD')), Is.False, "no half character given out");
        if (text.Contains("😀"))
        {
            int start = Bytes.Encode("emoji ", addBos: false).Length;
            Assert.That(pieces.Skip(start).Take(3), Is.All.Empty, "the emoji's first three bytes wait for the fourth");
            Assert.That(pieces[start + 3], Is.EqualTo("😀"));
        }
    }

    [Test]
    public void AnUnfinishedCharacterAtTheEndFlushesAsReplacement()
    {
        var detok = new StreamingDetokenizer(Bytes);
        Assert.That(detok.Push('a'), Is.EqualTo("a"));
        Assert.That(detok.Push(0xE4), Is.Empty);
        Assert.That(detok.Flush(), Is.EqualTo("\uFFFD"));
        Assert.That(detok.Text, Is.EqualTo(Bytes.Decode(new[] { (int)'a', 0xE4 })));
    }

    [Test]
    public void SpecialTokensAreNotAnswerText()
    {
        var detok = new StreamingDetokenizer(Bytes);
        int pad = Bytes.TokenToId("<|pad|>")!.Value;
        Assert.That(detok.Push('o') + detok.Push(pad) + detok.Push('k'), Is.EqualTo("ok"));
    }
}
