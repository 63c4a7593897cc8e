using MantisNative.Data.Records;
using NUnit.Framework;

namespace MantisNative.Tests.Data.Records;

public class JsonArrayRecordTests
{
    private const string Rec = """{"id":"ID","images":["a.png"],"conversation":[{"role":"user","content":"<image> q"},{"role":"assistant","content":"a"}]}""";

    [Test]
    public void ReadsAnArrayWithLineNumbersOfEachRecord()
    {
        using var f = new RecordTestFolder();
        var file = f.Write("d.json", "[\n  " + Rec.Replace("ID", "r1") + ",\n  " + Rec.Replace("ID", "r2") + ",\n\n  " + Rec.Replace("ID", "r3") + "\n]\n");
        var recs = RecordReader.ReadAll(file, out var report);
        Assert.That(report.Skipped, Is.EqualTo(0), report.ToTable());
        Assert.That(recs.Select(r => r.Id), Is.EqualTo(new[] { "r1", "r2", "r3" }));
        Assert.That(recs.Select(r => r.Line), Is.EqualTo(new long[] { 2, 3, 5 }));
    }

    [Test]
    public void IndentedRecordsAndBadRecordsInsideAnArray()
    {
        using var f = new RecordTestFolder();
        var indented = """
            [
              {
                "id": "ok",
                "images": ["a.png", "b.png"],
                "conversations": [
                  {"from": "human", "value": "<image> and <image>"},
                  {"from": "gpt", "value": "two"}
                ]
              },
              {"id": "bad", "images": [], "conversation": [{"role": "user", "content": "q"}, {"role": "user", "content": "q"}]},
              42
            ]
            """;
        var file = f.Write("d.json", indented);
        var recs = RecordReader.ReadAll(file, out var report);
        Assert.That(recs.Select(r => r.Id), Is.EqualTo(new[] { "ok" }));
        Assert.That(report.Count(RecordProblemKind.TurnOrder), Is.EqualTo(1));
        Assert.That(report.Examples(RecordProblemKind.TurnOrder)[0], Does.Contain("'bad'").And.Contain("d.json:10"));
        Assert.That(report.Count(RecordProblemKind.NotARecord), Is.EqualTo(1));
        Assert.That(report.Examples(RecordProblemKind.NotARecord)[0], Does.Contain("d.json:11"));
    }

    [Test]
    public void SyntaxErrorEndsTheFileWithItsLineReported()
    {
        using var f = new RecordTestFolder();
        var file = f.Write("d.json", "[\n" + Rec.Replace("ID", "r1") + ",\n{\"id\": \"r2\", \"images\": [,]},\n" + Rec.Replace("ID", "r3") + "\n]");
        var recs = RecordReader.ReadAll(file, out var report);
        Assert.That(recs.Select(r => r.Id), Is.EqualTo(new[] { "r1" }));
        Assert.That(report.Count(RecordProblemKind.MalformedJson), Is.EqualTo(1));
        Assert.That(report.Examples(RecordProblemKind.MalformedJson)[0], Does.Contain("d.json:3").And.Contain("rest of the file"));

        var ex = Assert.Throws<MantisException>(() => RecordReader.ReadAll(file, out _, new RecordReaderOptions { Strict = true }))!;
        Assert.That(ex.Message, Does.Contain("d.json:3").And.Contain("MalformedJson"));
    }

    [Test]
    public void UnclosedArrayIsReported()
    {
        using var f = new RecordTestFolder();
        var file = f.Write("d.json", "[\n" + Rec.Replace("ID", "r1") + ",\n");
        var recs = RecordReader.ReadAll(file, out var report);
        Assert.That(recs, Has.Count.EqualTo(1));
        Assert.That(report.Count(RecordProblemKind.MalformedJson), Is.EqualTo(1), report.ToTable());
    }

    [Test]
    public void JsonFileHoldingJsonLinesIsReadAsLines()
    {
        using var f = new RecordTestFolder();
        var file = f.Write("d.json", Rec.Replace("ID", "r1") + "\n" + Rec.Replace("ID", "r2") + "\n");
        Assert.That(RecordReader.ReadAll(file, out _).Select(r => r.Id), Is.EqualTo(new[] { "r1", "r2" }));
    }

    [Test]
    public void EmbeddedBase64ImageInJson()
    {
        using var f = new RecordTestFolder();
        var b64 = Convert.ToBase64String(RecordTestFolder.Png(8, 8, SkiaSharp.SKColors.Teal));
        var file = f.Write("d.json", "[{\"id\":\"e\",\"images\":[{\"bytes\":\"" + b64 + "\",\"path\":\"orig.png\"}],\"conversation\":[{\"role\":\"user\",\"content\":\"<image> q\"},{\"role\":\"assistant\",\"content\":\"a\"}]}]");
        var recs = RecordReader.ReadAll(file, out var report);
        Assert.That(report.Skipped, Is.EqualTo(0), report.ToTable());
        Assert.That(recs[0].Images[0].IsEmbedded, Is.True);
        Assert.That(recs[0].Images[0].OriginalPath, Is.EqualTo("orig.png"));
    }
}
