using MantisNative.Data.Tokenization;
using NUnit.Framework;

namespace MantisNative.Tests.Data;

/// <summary>Loads the 9 MB Llama-3 tokenizer.json once per test run (it takes a few hundred ms).</summary>
internal static class Llama3Fixture
{
    private static readonly Lazy<ByteLevelBpeTokenizer> Shared = new(() => ByteLevelBpeTokenizer.Load(Dir));

    public static string Dir => Path.Combine(TestContext.CurrentContext.TestDirectory, "fixtures", "llama3-tokenizer");

    /// <summary>The shared instance: never add tokens to it (load a fresh one for that).</summary>
    public static ByteLevelBpeTokenizer Tokenizer => Shared.Value;

    private static readonly Lazy<ByteLevelBpeTokenizer> SharedMantis = new(LoadMantis);

    /// <summary>A shared instance with Mantis's two added tokens: never add more to it.</summary>
    public static ByteLevelBpeTokenizer Mantis => SharedMantis.Value;

    /// <summary>A fresh copy with Mantis's two added tokens: &lt;image&gt; = 128256, &lt;|pad|&gt; = 128257.</summary>
    public static ByteLevelBpeTokenizer LoadMantis()
    {
        var t = ByteLevelBpeTokenizer.Load(Dir);
        t.AddSpecialToken("<image>");
        t.AddSpecialToken("<|pad|>");
        return t;
    }
}
