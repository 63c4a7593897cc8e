using System.Text.Json;
using MantisNative.Data.Tokenization;
using NUnit.Framework;

namespace MantisNative.Tests.Data;

/// <summary>
/// fixtures/llama3-tokenizer-extra/extra_cases.json: ids and decodes from HF's Rust engine (npm tokenizers@0.23.2,
/// see make_extra_cases.mjs there) for texts built to hit the hard spots: characters outside the BMP, emoji
/// next to letters, odd whitespace, apostrophes, special-token text; also our small trained tokenizer.json
/// read by HF, which checks that the writer's output means the same to HF.
/// </summary>
public class TokenizerDifferentialTests
{
    private static readonly string Dir = Path.Combine(TestContext.CurrentContext.TestDirectory, "fixtures", "llama3-tokenizer-extra");
    private static ByteLevelBpeTokenizer? _small;
    private static ByteLevelBpeTokenizer Mantis => Llama3Fixture.Mantis;
    private static ByteLevelBpeTokenizer Small => _small ??= ByteLevelBpeTokenizer.Load(Path.Combine(Dir, "small-tokenizer.json"));
    private static ByteLevelBpeTokenizer? _gpt2Style;
    // Same vocabulary with a GPT-2-style pre-tokenizer: ByteLevel with its own regex and add_prefix_space.
    private static ByteLevelBpeTokenizer Gpt2Style => _gpt2Style ??= ByteLevelBpeTokenizer.Load(Path.Combine(Dir, "small-tokenizer-gpt2-style.json"));

    public sealed record Case(int Index, string Text, int[] Llama3, int[] Mantis, int[] Small, int[] SmallWithBos, int[] Gpt2Style, string Decoded)
    {
        public override string ToString() => $"#{Index}";
    }

    public sealed record DecodeCase(int Index, int[] Ids, string Decoded, string DecodedSkipSpecial)
    {
        public override string ToString() => $"#{Index}";
    }

    private static JsonDocument Doc() =>
        JsonDocument.Parse(File.ReadAllBytes(Path.Combine(TestContext.CurrentContext.TestDirectory, "fixtures", "llama3-tokenizer-extra", "extra_cases.json")));

    private static int[] Ints(JsonElement e) => e.EnumerateArray().Select(x => x.GetInt32()).ToArray();

    public static IEnumerable<Case> Cases()
    {
        using var doc = Doc();
        int i = 0;
        foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
            yield return new Case(i++, c.GetProperty("text").GetString()!, Ints(c.GetProperty("llama3")), Ints(c.GetProperty("mantis")),
                Ints(c.GetProperty("small")), Ints(c.GetProperty("small_with_bos")), Ints(c.GetProperty("small_gpt2_style")),
                c.GetProperty("decoded").GetString()!);
    }

    public static IEnumerable<DecodeCase> Decodes()
    {
        using var doc = Doc();
        int i = 0;
        foreach (var c in doc.RootElement.GetProperty("decodes").EnumerateArray())
            yield return new DecodeCase(i++, Ints(c.GetProperty("ids")), c.GetProperty("decoded").GetString()!, c.GetProperty("decoded_skip_special").GetString()!);
    }

    [TestCaseSource(nameof(Cases))]
    public void MatchesHf(Case c)
    {
        Assert.That(Llama3Fixture.Tokenizer.Encode(c.Text, addBos: false), Is.EqualTo(c.Llama3), "llama3");
        Assert.That(Mantis.Encode(c.Text, addBos: false), Is.EqualTo(c.Mantis), "llama3 + <image>, <|pad|>");
        Assert.That(Small.Encode(c.Text, addBos: false), Is.EqualTo(c.Small), "small");
        Assert.That(Small.Encode(c.Text), Is.EqualTo(c.SmallWithBos), "small, post-processor BOS");
        Assert.That(Gpt2Style.Encode(c.Text), Is.EqualTo(c.Gpt2Style), "GPT-2-style pre-tokenizer");
        Assert.That(Llama3Fixture.Tokenizer.Decode(c.Llama3), Is.EqualTo(c.Decoded), "decode");
    }

    [TestCaseSource(nameof(Decodes))]
    public void DecodesLikeHf(DecodeCase c)
    {
        Assert.That(Llama3Fixture.Tokenizer.Decode(c.Ids), Is.EqualTo(c.Decoded));
        Assert.That(Llama3Fixture.Tokenizer.Decode(c.Ids, skipSpecial: true), Is.EqualTo(c.DecodedSkipSpecial));
    }
}
