using System.Diagnostics;
using MantisNative.Data.Tokenization;
using NUnit.Framework;

namespace MantisNative.Tests.Data;

/// <summary>Llama-3 tokenizer behaviour beyond the fixture cases: special parsing, added tokens, decoding edge cases.</summary>
public class TokenizerBehaviourTests
{
    private static ByteLevelBpeTokenizer Tok => Llama3Fixture.Tokenizer;

    [Test]
    public void LoadsQuickly()
    {
        var sw = Stopwatch.StartNew();
        var t = ByteLevelBpeTokenizer.Load(Path.Combine(Llama3Fixture.Dir, "tokenizer.json"));
        sw.Stop();
        Assert.That(t.VocabSize, Is.EqualTo(128256));
        Assert.That(sw.Elapsed.TotalSeconds, Is.LessThan(3), "loading the 9 MB tokenizer.json");
    }

    [Test]
    public void KnowsBosAndEos()
    {
        Assert.That(Tok.BosId, Is.EqualTo(128000));
        Assert.That(Tok.EosId, Is.EqualTo(128001));
        Assert.That(Tok.AddsBosByDefault, Is.False, "this release's post_processor is ByteLevel only");
        Assert.That(Tok.TokenToId("<|eot_id|>"), Is.EqualTo(128009));
        Assert.That(Tok.IdToToken(1917), Is.EqualTo("Ġworld"));
        Assert.That(Tok.IsSpecial(128009), Is.True);
        Assert.That(Tok.IsSpecial(1917), Is.False);
    }

    [Test]
    public void ReadsTheLlama3RegexFromTheFile()
    {
        Assert.That(Tok.PreTokenizer.Steps, Is.EqualTo(new[] { (PreTokenizer.Llama3Pattern, PreTokenizer.SplitBehavior.Isolated) }));
        Assert.That(Tok.PreTokenizer.AddPrefixSpace, Is.False);
        Assert.That(Tok.Model.IgnoreMerges, Is.True);
        Assert.That(Tok.Model.Merges, Has.Count.EqualTo(280147));
    }

    [Test]
    public void SpecialParsingOnAndOff()
    {
        Assert.That(Tok.Encode("Hi<|eot_id|>"), Is.EqualTo(new[] { 13347, 128009 }));
        var plain = Tok.Encode("Hi<|eot_id|>", parseSpecial: false);
        Assert.That(plain, Does.Not.Contain(128009));
        Assert.That(plain.Length, Is.GreaterThan(2));
        Assert.That(Tok.Decode(plain), Is.EqualTo("Hi<|eot_id|>"));
    }

    [Test]
    public void IgnoreMergesMapsWholeVocabWordsDirectly()
    {
        // Every vocab string is its own id with ignore_merges, whatever the merges would build.
        foreach (var id in new[] { 1917, 22691, 262, 271, 128 })
        {
            var text = Tok.Decode(new[] { id });
            if (text.Contains('\uFFFD')) continue;
            Assert.That(Tok.Encode(text), Is.EqualTo(new[] { id }), $"id {id} '{text}'");
        }
    }

    [Test]
    public void AddsMantisTokens()
    {
        var t = Llama3Fixture.LoadMantis();
        Assert.That(t.TokenToId("<image>"), Is.EqualTo(128256));
        Assert.That(t.TokenToId("<|pad|>"), Is.EqualTo(128257));
        Assert.That(t.VocabSize, Is.EqualTo(128258));
        Assert.That(t.Encode("a<image>b"), Is.EqualTo(new[] { 64, 128256, 65 }));
        Assert.That(t.Encode("<image>", parseSpecial: false), Is.EqualTo(Tok.Encode("<image>")));
        Assert.That(t.Decode(new[] { 64, 128256, 65 }), Is.EqualTo("a<image>b"));
        Assert.That(t.Decode(new[] { 64, 128256, 65 }, skipSpecial: true), Is.EqualTo("ab"));
        Assert.That(t.AddSpecialToken("<image>"), Is.EqualTo(128256), "adding again returns the same id");
        Assert.That(t.AddSpecialToken("<extra>", 200000), Is.EqualTo(200000));
        Assert.That(t.VocabSize, Is.EqualTo(200001));
        Assert.Throws<MantisException>(() => t.AddSpecialToken("<other>", 128256));
        Assert.Throws<MantisException>(() => t.AddSpecialToken("<image>", 5));
        Assert.That(Tok.TokenToId("<image>"), Is.Null, "the shared instance is untouched");
    }

    [Test]
    public void InvalidUtf8DecodesToReplacementCharacters()
    {
        // Byte-level ids of single bytes: 0xE6 0x97 is a cut 3-byte sequence, 0xFF is never valid.
        int Id(byte b) => Tok.TokenToId(ByteLevelAlphabet.ByteToChar(b).ToString())!.Value;
        Assert.That(Tok.Decode(new[] { Id(0xE6), Id(0x97) }), Is.EqualTo("\uFFFD"));
        Assert.That(Tok.Decode(new[] { Id(0xFF), Id((byte)'A') }), Is.EqualTo("\uFFFDA"));
        Assert.That(Tok.Decode(new[] { Id(0xE6), Id(0x97), Id((byte)'A') }), Is.EqualTo("\uFFFDA"));
        Assert.That(Tok.DecodeBytes(new[] { Id(0xE6), Id(0x97) }), Is.EqualTo(new byte[] { 0xE6, 0x97 }));
    }

    [Test]
    public void OutOfRangeIdIsAClearError()
    {
        var e = Assert.Throws<MantisException>(() => Tok.Decode(new[] { 999999 }));
        Assert.That(e!.Message, Does.Contain("999999"));
    }

    [TestCase("👍ok")]
    [TestCase("𝐀bc 𝟙𝟚𝟛𝟜 x𝐀")]
    [TestCase("a🧪b\n🇯🇵!")]
    public void CharactersOutsideTheBmpAreOneCodePointForTheRegex(string text)
    {
        // HF's regex sees code points: "👍ok" is one piece ([^\r\n\p{L}\p{N}]?\p{L}+); 𝐀 is a letter, 𝟙 a digit.
        var pieces = new List<(int Start, int Length)>();
        Tok.PreTokenizer.Split(text, 0, text.Length, pieces);
        foreach (var (s, l) in pieces)
        {
            Assert.That(char.IsLowSurrogate(text[s]), Is.False, "a piece starts inside a surrogate pair");
            Assert.That(char.IsHighSurrogate(text[s + l - 1]), Is.False, "a piece ends inside a surrogate pair");
        }
        Assert.That(Tok.Decode(Tok.Encode(text)), Is.EqualTo(text));
        if (text == "👍ok") Assert.That(pieces, Has.Count.EqualTo(1));
        if (text.StartsWith("𝐀bc")) Assert.That(text.Substring(pieces[0].Start, pieces[0].Length), Is.EqualTo("𝐀bc"));
    }

    [Test]
    public void MissingFileNamesThePath()
    {
        var e = Assert.Throws<MantisException>(() => ByteLevelBpeTokenizer.Load("/nonexistent/dir/tokenizer.json"));
        Assert.That(e!.Message, Does.Contain("/nonexistent/dir/tokenizer.json"));
    }

    [Test]
    public void RandomTextRoundTrips()
    {
        var rng = new Random(1234);
        const string alphabet = "abcXYZ 019 \n\t.,'!?é日本🧪<|>";
        for (int n = 0; n < 200; n++)
        {
            var sb = new System.Text.StringBuilder();
            int len = rng.Next(0, 40);
            var elements = System.Globalization.StringInfo.GetTextElementEnumerator(alphabet);
            var parts = new List<string>();
            while (elements.MoveNext()) parts.Add((string)elements.Current);
            for (int i = 0; i < len; i++) sb.Append(parts[rng.Next(parts.Count)]);
            var text = sb.ToString();
            Assert.That(Tok.Decode(Tok.Encode(text, parseSpecial: false)), Is.EqualTo(text));
        }
    }
}
