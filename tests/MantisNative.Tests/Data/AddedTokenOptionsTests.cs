using System.Text.Json.Nodes;
using MantisNative.Data.Tokenization;
using NUnit.Framework;

namespace MantisNative.Tests.Data;

/// <summary>Added-token flags read from tokenizer.json: lstrip/rstrip swallow whitespace; single_word is refused.</summary>
public class AddedTokenOptionsTests
{
    private static string SaveWithImageFlags(string flag)
    {
        var tok = BpeTrainer.Train(new[] { "a b c a b c" }, merges: 5);
        var dir = Path.Combine(Path.GetTempPath(), "mantis-added-" + Guid.NewGuid().ToString("N"));
        var path = Path.Combine(dir, "tokenizer.json");
        tok.Save(path);
        var json = JsonNode.Parse(File.ReadAllText(path))!;
        foreach (var t in json["added_tokens"]!.AsArray())
            if ((string)t!["content"]! == "<image>") t[flag] = true;
        File.WriteAllText(path, json.ToJsonString());
        return dir;
    }

    [Test]
    public void LStripAndRStripSwallowWhitespace()
    {
        var dirL = SaveWithImageFlags("lstrip");
        var dirR = SaveWithImageFlags("rstrip");
        try
        {
            var l = ByteLevelBpeTokenizer.Load(dirL);
            var r = ByteLevelBpeTokenizer.Load(dirR);
            int image = l.TokenToId("<image>")!.Value;
            var expectedL = l.Encode("x", addBos: false).Append(image).Concat(l.Encode(" y", addBos: false));
            Assert.That(l.Encode("x  <image> y", addBos: false), Is.EqualTo(expectedL));
            var expectedR = r.Encode("x ", addBos: false).Append(image).Concat(r.Encode("y", addBos: false));
            Assert.That(r.Encode("x <image>  y", addBos: false), Is.EqualTo(expectedR));
            Assert.That(r.AddedTokens.Single(t => t.Content == "<image>").RStrip, Is.True);
        }
        finally { Directory.Delete(dirL, true); Directory.Delete(dirR, true); }
    }

    [Test]
    public void SingleWordIsRefused()
    {
        var dir = SaveWithImageFlags("single_word");
        try
        {
            var e = Assert.Throws<MantisException>(() => ByteLevelBpeTokenizer.Load(dir));
            Assert.That(e!.Message, Does.Contain("single_word").And.Contain("<image>"));
        }
        finally { Directory.Delete(dir, true); }
    }
}
