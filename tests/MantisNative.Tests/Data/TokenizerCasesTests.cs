using System.Text.Json;
using NUnit.Framework;

namespace MantisNative.Tests.Data;

/// <summary>Every case of fixtures/llama3-tokenizer/cases.json (ids from HF tokenizers) must match exactly.</summary>
public class TokenizerCasesTests
{
    public sealed record Case(string Name, string Text, int[] IdsNoBos, int[] IdsWithBos, string Decoded,
        string DecodedSkipSpecial, string DecodedCleanUp)
    {
        public override string ToString() => Name;
    }

    public static IEnumerable<Case> Cases()
    {
        var path = Path.Combine(Llama3Fixture.Dir, "cases.json");
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        foreach (var c in doc.RootElement.EnumerateArray())
        {
            yield return new Case(c.GetProperty("name").GetString()!, c.GetProperty("text").GetString()!,
                c.GetProperty("ids_no_bos").EnumerateArray().Select(x => x.GetInt32()).ToArray(),
                c.GetProperty("ids_with_bos").EnumerateArray().Select(x => x.GetInt32()).ToArray(),
                c.GetProperty("decoded").GetString()!, c.GetProperty("decoded_skip_special").GetString()!,
                c.GetProperty("decoded_clean_up").GetString()!);
        }
    }

    [TestCaseSource(nameof(Cases))]
    public void EncodesWithoutBos(Case c) =>
        Assert.That(Llama3Fixture.Tokenizer.Encode(c.Text, addBos: false), Is.EqualTo(c.IdsNoBos));

    [TestCaseSource(nameof(Cases))]
    public void EncodesWithBos(Case c) =>
        Assert.That(Llama3Fixture.Tokenizer.Encode(c.Text, addBos: true), Is.EqualTo(c.IdsWithBos));

    [TestCaseSource(nameof(Cases))]
    public void DefaultFollowsThePostProcessor(Case c) =>
        // This file's post_processor is ByteLevel only: HF add_special_tokens=True adds no BOS.
        Assert.That(Llama3Fixture.Tokenizer.Encode(c.Text), Is.EqualTo(c.IdsNoBos));

    [TestCaseSource(nameof(Cases))]
    public void Decodes(Case c)
    {
        var t = Llama3Fixture.Tokenizer;
        Assert.That(t.Decode(c.IdsNoBos), Is.EqualTo(c.Decoded));
        Assert.That(t.Decode(c.IdsWithBos, skipSpecial: true), Is.EqualTo(c.DecodedSkipSpecial));
        Assert.That(t.Decode(c.IdsNoBos, cleanUpSpaces: true), Is.EqualTo(c.DecodedCleanUp));
    }
}
