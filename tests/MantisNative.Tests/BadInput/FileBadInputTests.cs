using System.Buffers.Binary;
using System.Text;
using MantisNative.Cli;
using MantisNative.Data.Images;
using MantisNative.Data.Tokenization;
using MantisNative.Tests.Cli;
using MantisNative.Tests.IO;
using NUnit.Framework;

namespace MantisNative.Tests.BadInput;

/// <summary>Issue 16 items 4, 5, 11 and 16 (files, images, tokenizer, flags).</summary>
public class FileBadInputTests
{
    private string _dir = "";

    [SetUp] public void Make() => _dir = TestFiles.Scratch();
    [TearDown] public void Clean() => TestFiles.Cleanup(_dir);

    private static string SmallTokenizerJson()
    {
        var tok = BpeTrainer.Train(new[] { "hello world", "the cat sat" }, 20);
        var path = Path.Combine(TestFiles.Scratch(), "tokenizer.json");
        tok.Save(path);
        return File.ReadAllText(path);
    }

    private string WriteTokenizer(Action<System.Text.Json.Nodes.JsonObject> edit)
    {
        var root = System.Text.Json.Nodes.JsonNode.Parse(SmallTokenizerJson())!.AsObject();
        edit(root);
        var path = Path.Combine(_dir, "tokenizer.json");
        File.WriteAllText(path, root.ToJsonString());
        return path;
    }

    [Test]
    public void TokenizerVocabularyIdOutOfRangeIsNamed()
    {
        // was: unhandled FormatException from GetInt32
        var path = WriteTokenizer(t =>
        {
            var vocab = t["model"]!["vocab"]!.AsObject();
            vocab[vocab.First().Key] = 1_000_000_000_000L;
        });
        var e = Assert.Throws<MantisException>(() => ByteLevelBpeTokenizer.Load(path))!;
        Assert.That(e.Message, Does.Contain(path).And.Contain("model.vocab").And.Contain("out of range"));
    }

    [Test]
    public void TokenizerOfTheWrongShapeIsAClearError()
    {
        var path = WriteTokenizer(t => t["model"]!.AsObject()["merges"] = 5);
        Assert.That(Assert.Throws<MantisException>(() => ByteLevelBpeTokenizer.Load(path))!.Message, Does.Contain(path));
        path = WriteTokenizer(t => t["added_tokens"] = new System.Text.Json.Nodes.JsonArray(new System.Text.Json.Nodes.JsonObject { ["content"] = "x" }));
        Assert.That(Assert.Throws<MantisException>(() => ByteLevelBpeTokenizer.Load(path))!.Message, Does.Contain(path));
    }

    [Test]
    public void PreprocessSizeOutOfRangeIsOneLine()
    {
        // was: unhandled OverflowException in RgbImage..ctor
        var img = TestFiles.Fixture("tiny-siglip-llama", "image0.png");
        var r = CliRun.Run("preprocess", "--processor", "siglip", "--size", "100000", "--output", Path.Combine(_dir, "p.safetensors"), img);
        CliRun.AssertOneLineError(r, "--size 100000 is out of range");
    }

    [Test]
    public void AFolderGivenAsAnImageSaysFolderNotNotFound()
    {
        var r = CliRun.Run("preprocess", "--processor", "siglip", "--output", Path.Combine(_dir, "p.safetensors"), _dir);
        CliRun.AssertOneLineError(r, "is a folder");
        Assert.That(r.Err, Does.Not.Contain("not found"));
        r = CliRun.Run("chat", "--model", _dir, "--image", _dir, "hi");
        CliRun.AssertOneLineError(r, "is a folder");
    }

    private static byte[] Png() => File.ReadAllBytes(TestFiles.Fixture("tiny-siglip-llama", "image0.png"));

    /// <summary>Rewrites the CRC of the chunk at <paramref name="pos"/> after its body was changed.</summary>
    private static void FixCrc(byte[] png, int pos)
    {
        int len = (int)BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(pos));
        uint c = 0xFFFFFFFF;
        foreach (byte b in png.AsSpan(pos + 4, 4 + len))
        {
            c ^= b;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
        }
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(pos + 8 + len), c ^ 0xFFFFFFFF);
    }

    [Test]
    public void PngHeaderAndCrcFaultsAreNamedNotCalledTruncated()
    {
        // was: "the file is truncated" for each of these
        var colour = Png();
        colour[8 + 8 + 9] = 5; // IHDR colour type
        FixCrc(colour, 8);
        var depth = Png();
        depth[8 + 8 + 8] = 3; // IHDR bit depth 3
        FixCrc(depth, 8);
        var crc = Png();
        crc[8 + 8 + 13 + 1] ^= 0xFF; // IHDR CRC
        foreach (var (bytes, want) in new[] { (colour, "colour type 5"), (depth, "bit depth 3"), (crc, "bad CRC") })
        {
            var e = Assert.Throws<MantisException>(() => ImageDecoder.Decode(bytes, "x.png"))!;
            Assert.That(e.Message, Does.Contain(want).And.Not.Contain("truncated"), want);
        }
        var cut = Png()[..40];
        Assert.That(Assert.Throws<MantisException>(() => ImageDecoder.Decode(cut, "x.png"))!.Message, Does.Contain("truncated"));
        Assert.That(ImageDecoder.Decode(Png(), "ok.png").Width, Is.GreaterThan(0), "a sound PNG still decodes");
    }

    [Test]
    public void InvalidUtf8InAJsonlRecordSkipsThatRecordOnly()
    {
        // was: read as U+FFFD inside the record's text, silently
        string Rec(string id, string answer) => $"{{\"id\":\"{id}\",\"images\":[],\"conversation\":[{{\"role\":\"user\",\"content\":\"hi\"}},{{\"role\":\"assistant\",\"content\":\"{answer}\"}}]}}";
        var file = Path.Combine(_dir, "r.jsonl");
        var bad = Encoding.UTF8.GetBytes(Rec("b", "caf#")).Select(x => x == (byte)'#' ? (byte)0xE9 : x).ToArray(); // Latin-1 é
        File.WriteAllBytes(file, Encoding.UTF8.GetBytes(Rec("a", "yes") + "\n").Concat(bad).Concat(Encoding.UTF8.GetBytes("\r\n" + Rec("c", "no") + "\n")).ToArray());
        var kept = MantisNative.Data.Records.RecordReader.ReadAll(file, out var report);
        Assert.That(kept.Select(r => r.Id), Is.EqualTo(new[] { "a", "c" }));
        Assert.That(report.Examples(MantisNative.Data.Records.RecordProblemKind.MalformedJson).Single(), Does.Contain(":2").And.Contain("not valid UTF-8"));
    }

    private static string TokenizerDir => Path.GetDirectoryName(TestFiles.Fixture("llama3-tokenizer", "tokenizer.json"))!;

    [Test]
    public void TokenizeReadsAFileOrStandardInputAndRefusesInvalidUtf8()
    {
        var expected = CliRun.Run("tokenize", "--tokenizer", TokenizerDir, "héllo wörld");
        Assert.That(expected.Code, Is.EqualTo(0), expected.Err);
        var file = Path.Combine(_dir, "t.txt");
        File.WriteAllBytes(file, Encoding.UTF8.GetBytes("héllo wörld"));
        Assert.That(CliRun.Run("tokenize", "--tokenizer", TokenizerDir, "--file", file).Out, Is.EqualTo(expected.Out));

        var saved = TokenizeCommand.OpenStandardInput;
        try
        {
            TokenizeCommand.OpenStandardInput = () => new MemoryStream(Encoding.UTF8.GetBytes("héllo wörld"));
            Assert.That(CliRun.Run("tokenize", "--tokenizer", TokenizerDir, "-").Out, Is.EqualTo(expected.Out));
            TokenizeCommand.OpenStandardInput = () => new MemoryStream(new byte[] { (byte)'a', 0xC3, (byte)'b' });
            CliRun.AssertOneLineError(CliRun.Run("tokenize", "--tokenizer", TokenizerDir, "-"), "standard input: the text is not valid UTF-8 (invalid byte 0xC3 at byte 1)");
        }
        finally { TokenizeCommand.OpenStandardInput = saved; }

        File.WriteAllBytes(file, new byte[] { (byte)'h', (byte)'i', 0xFF });
        CliRun.AssertOneLineError(CliRun.Run("tokenize", "--tokenizer", TokenizerDir, "--file", file), "at byte 2");
        // what the runtime makes of invalid UTF-8 in an argument (was: silently tokenized as U+FFFD)
        CliRun.AssertOneLineError(CliRun.Run("tokenize", "--tokenizer", TokenizerDir, "bad \uFFFD byte"), "U+FFFD");
    }
}
