using System.Diagnostics;
using MantisNative.Data.Tokenization;
using NUnit.Framework;

namespace MantisNative.Tests.Data;

/// <summary>The heap merge (long pieces) gives exactly the scan merge's result, and long pieces stay fast.</summary>
public class BpeMergeTests
{
    [Test]
    public void HeapAndScanAgree()
    {
        var model = Llama3Fixture.Tokenizer.Model;
        var rng = new Random(7);
        // Few distinct characters make many competing merges, the case where order matters.
        var alphabets = new[] { "ab", " a=", "ing the ", "0123456789", "-*= \n", "日本語" };
        for (int n = 0; n < 300; n++)
        {
            var alpha = alphabets[n % alphabets.Length];
            var chars = Enumerable.Range(0, rng.Next(1, 120)).Select(_ => alpha[rng.Next(alpha.Length)]).ToArray();
            var bytes = System.Text.Encoding.UTF8.GetBytes(chars);
            var ids = bytes.Select(b => model.Vocab[ByteLevelAlphabet.ByteToChar(b).ToString()]).ToArray();
            Assert.That(model.MergeByHeap(ids), Is.EqualTo(model.MergeByScan(ids)), new string(chars));
        }
    }

    [Test]
    public void LongPieceIsFast()
    {
        var text = new string('a', 200_000);
        var sw = Stopwatch.StartNew();
        var ids = Llama3Fixture.Tokenizer.Encode(text);
        Assert.That(sw.Elapsed.TotalSeconds, Is.LessThan(5));
        Assert.That(Llama3Fixture.Tokenizer.Decode(ids), Is.EqualTo(text));
    }
}
