using MantisNative.Data.Records;
using NUnit.Framework;

namespace MantisNative.Tests.Data.Records;

public class RecordReaderTests
{
    private const string Rec = """{"id":"ID","images":[],"conversation":[{"role":"user","content":"q"},{"role":"assistant","content":"a"}]}""";

    [Test]
    public void FolderReadsAllRecordFilesInNameOrder()
    {
        using var f = new RecordTestFolder();
        f.Write("data/b.jsonl", Rec.Replace("ID", "b1") + "\n");
        f.Write("data/a.json", "[" + Rec.Replace("ID", "a1") + "]");
        f.Write("data/notes.txt", "ignored");
        var recs = RecordReader.ReadAll(f.Path("data"), out var report);
        Assert.That(recs.Select(r => r.Id), Is.EqualTo(new[] { "a1", "b1" }));
        Assert.That(report.Files, Is.EqualTo(2));
        Assert.That(report.ToTable(), Does.Contain("2 read, 2 kept, 0 skipped (2 files)"));
    }

    [Test]
    public void MetadataJsonInAFolderIsListedNotCountedAsBadRecords()
    {
        using var f = new RecordTestFolder();
        f.Write("data/train.jsonl", Rec.Replace("ID", "t1") + "\n");
        f.Write("data/dataset_info.json", "{\n  \"name\": \"x\",\n  \"families\": []\n}\n");
        f.Write("data/one.json", "{\n  \"id\": \"o1\",\n  \"conversation\": [{\"role\": \"user\", \"content\": \"q\"}, {\"role\": \"assistant\", \"content\": \"a\"}]\n}\n");
        var recs = RecordReader.ReadAll(f.Path("data"), out var report);
        Assert.That(recs.Select(r => r.Id), Is.EqualTo(new[] { "o1", "t1" }), "a one-record .json object spanning lines is one record");
        Assert.That(report.Skipped, Is.EqualTo(0), report.ToTable());
        Assert.That(report.IgnoredFiles.Single(), Does.Contain("dataset_info.json"));
        Assert.That(report.ToTable(), Does.Contain("not read: ").And.Contain("dataset_info.json"));

        // named explicitly, the same file is a bad input and says so
        RecordReader.ReadAll(f.Path("data/dataset_info.json"), out var explicitReport);
        Assert.That(explicitReport.Count(RecordProblemKind.NotARecord), Is.EqualTo(1));
    }

    [Test]
    public void GlobsMatchFileNamesAndRecursiveFolders()
    {
        using var f = new RecordTestFolder();
        f.Write("g/x1.jsonl", Rec.Replace("ID", "x1") + "\n");
        f.Write("g/y.jsonl", Rec.Replace("ID", "y") + "\n");
        f.Write("g/sub/x2.jsonl", Rec.Replace("ID", "x2") + "\n");
        Assert.That(RecordReader.ReadAll(f.Path("g/x*.jsonl"), out _).Select(r => r.Id), Is.EqualTo(new[] { "x1" }));
        Assert.That(RecordReader.ReadAll(f.Path("g/**/x*.jsonl"), out _).Select(r => r.Id), Is.EquivalentTo(new[] { "x1", "x2" }));
    }

    [Test]
    public void WrongPathsAreOneClearError()
    {
        using var f = new RecordTestFolder();
        Assert.That(Assert.Throws<MantisException>(() => RecordReader.Read(f.Path("nope.jsonl"), new RecordReport()))!.Message, Does.Contain("nope.jsonl"));
        Assert.That(Assert.Throws<MantisException>(() => RecordReader.Read(f.Path("*.csv"), new RecordReport()))!.Message, Does.Contain("matches no"));
        f.Write("x.csv", "a,b");
        Assert.That(Assert.Throws<MantisException>(() => RecordReader.Read(f.Path("x.csv"), new RecordReport()))!.Message, Does.Contain("not a record file"));
        Directory.CreateDirectory(f.Path("empty"));
        Assert.That(Assert.Throws<MantisException>(() => RecordReader.Read(f.Path("empty"), new RecordReport()))!.Message, Does.Contain("holds no"));
    }

    [Test]
    public void StreamingFillsTheReportAsItGoes()
    {
        using var f = new RecordTestFolder();
        var file = f.Write("s.jsonl", Rec.Replace("ID", "1") + "\n{bad\n" + Rec.Replace("ID", "2") + "\n");
        var report = new RecordReport();
        using var e = RecordReader.Read(file, report).GetEnumerator();
        Assert.That(e.MoveNext(), Is.True);
        Assert.That(report.Accepted, Is.EqualTo(1));
        Assert.That(report.Skipped, Is.EqualTo(0));
        Assert.That(e.MoveNext(), Is.True);
        Assert.That(report.Skipped, Is.EqualTo(1));
        Assert.That(e.MoveNext(), Is.False);
    }
}
