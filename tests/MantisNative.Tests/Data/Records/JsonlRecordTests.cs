using MantisNative.Data.Records;
using NUnit.Framework;

namespace MantisNative.Tests.Data.Records;

public class JsonlRecordTests
{
    private const string Good1 = """{"id":"g1","images":["a.png","b.png"],"conversation":[{"role":"user","content":"<image><image> Which is red?"},{"role":"assistant","content":"1"}]}""";
    private const string Good2 = """{"id":"g2","images":["c.jpg"],"conversation":[{"role":"system","content":"Be brief."},{"role":"user","content":"<image> Colour?"},{"role":"assistant","content":"green"},{"role":"user","content":"Sure?"},{"role":"assistant","content":"yes"}]}""";

    [Test]
    public void ReadsGoodRecordsWithTurnsImagesAndMetadata()
    {
        using var f = new RecordTestFolder();
        var file = f.Write("d.jsonl", Good1 + "\n\n" + Good2.Replace("\"id\":\"g2\"", "\"id\":\"g2\",\"skill\":\"temporal\",\"n\":3,\"tags\":[\"x\"]") + "\n");
        var recs = RecordReader.ReadAll(file, out var report);
        Assert.That(report.Skipped, Is.EqualTo(0), report.ToTable());
        Assert.That(recs.Select(r => r.Id), Is.EqualTo(new[] { "g1", "g2" }));
        Assert.That(recs[0].Images.Select(i => i.FilePath), Is.EqualTo(new[] { f.Path("a.png"), f.Path("b.png") }));
        Assert.That(recs[0].Turns.Select(t => t.Role), Is.EqualTo(new[] { TurnRole.User, TurnRole.Assistant }));
        Assert.That(recs[0].Line, Is.EqualTo(1));
        Assert.That(recs[1].Line, Is.EqualTo(3), "blank lines still count as lines");
        Assert.That(recs[1].Turns[0].Role, Is.EqualTo(TurnRole.System));
        Assert.That(recs[1].Get("skill"), Is.EqualTo("temporal"));
        Assert.That(recs[1].Get("n"), Is.EqualTo("3"));
        Assert.That(recs[1].GetList("tags"), Is.EqualTo(new[] { "x" }));
        Assert.That(recs[1].SourceFile, Is.EqualTo(file));
        Assert.That(report.Accepted, Is.EqualTo(2));
    }

    [Test]
    public void ReadsConversationsFromValueVariant()
    {
        using var f = new RecordTestFolder();
        var file = f.Write("d.jsonl", """{"id":"v","image":"a.png","conversations":[{"from":"human","value":"<image>\nWhat is it?"},{"from":"gpt","value":"a square"}]}""" + "\n");
        var recs = RecordReader.ReadAll(file, out var report);
        Assert.That(report.Skipped, Is.EqualTo(0), report.ToTable());
        Assert.That(recs[0].Turns, Is.EqualTo(new[] { new Turn(TurnRole.User, "<image>\nWhat is it?"), new Turn(TurnRole.Assistant, "a square") }));
        Assert.That(recs[0].Images, Has.Count.EqualTo(1));
    }

    [Test]
    public void BackslashFoldersInImagePathsAreAccepted()
    {
        using var f = new RecordTestFolder();
        File.Copy(f.Path("a.png"), f.Write("imgs/x.png", ""), overwrite: true);
        var file = f.Write("d.jsonl", """{"id":"w","images":["imgs\\x.png"],"conversation":[{"role":"user","content":"<image> q"},{"role":"assistant","content":"a"}]}""" + "\n");
        var recs = RecordReader.ReadAll(file, out var report);
        Assert.That(report.Skipped, Is.EqualTo(0), report.ToTable());
        Assert.That(recs[0].Images[0].FilePath, Is.EqualTo(f.Path("imgs/x.png")));
        Assert.That(recs[0].Images[0].OriginalPath, Is.EqualTo("imgs\\x.png"));
    }

    [Test]
    public void RecordWithoutIdIsNamedByFileAndLine()
    {
        using var f = new RecordTestFolder();
        var file = f.Write("d.jsonl", """{"images":[],"conversation":[{"role":"user","content":"hi"},{"role":"assistant","content":"hello"}]}""" + "\n");
        var recs = RecordReader.ReadAll(file, out _);
        Assert.That(recs[0].Id, Does.EndWith("d.jsonl:1"));
    }

    /// <summary>Every bad-record kind, as one JSONL line placed between two good ones.</summary>
    public static IEnumerable<TestCaseData> BadLines()
    {
        TestCaseData C(string name, string line, RecordProblemKind kind) => new TestCaseData(line, kind).SetName("Bad_" + name);
        yield return C("MalformedJson", """{"id":"m","images":[}""", RecordProblemKind.MalformedJson);
        yield return C("TruncatedJson", """{"id":"m","images":["a.png"],"conversation":[""", RecordProblemKind.MalformedJson);
        yield return C("NotAnObject", """["a.png"]""", RecordProblemKind.NotARecord);
        yield return C("MissingConversation", """{"id":"x","images":["a.png"]}""", RecordProblemKind.MissingField);
        yield return C("ImagesNotAList", """{"id":"x","images":5,"conversation":[{"role":"user","content":"<image> q"},{"role":"assistant","content":"a"}]}""", RecordProblemKind.BadField);
        yield return C("TurnWithoutRole", """{"id":"x","images":[],"conversation":[{"content":"q"},{"role":"assistant","content":"a"}]}""", RecordProblemKind.BadField);
        yield return C("ContentNotString", """{"id":"x","images":[],"conversation":[{"role":"user","content":["q"]},{"role":"assistant","content":"a"}]}""", RecordProblemKind.BadField);
        yield return C("MissingImage", """{"id":"x","images":["nope.png"],"conversation":[{"role":"user","content":"<image> q"},{"role":"assistant","content":"a"}]}""", RecordProblemKind.MissingImage);
        yield return C("UnreadableImage", """{"id":"x","images":["folder.png"],"conversation":[{"role":"user","content":"<image> q"},{"role":"assistant","content":"a"}]}""", RecordProblemKind.UnreadableImage);
        yield return C("CorruptImage", """{"id":"x","images":["garbage.png"],"conversation":[{"role":"user","content":"<image> q"},{"role":"assistant","content":"a"}]}""", RecordProblemKind.CorruptImage);
        yield return C("TruncatedImage", """{"id":"x","images":["truncated.png"],"conversation":[{"role":"user","content":"<image> q"},{"role":"assistant","content":"a"}]}""", RecordProblemKind.CorruptImage);
        yield return C("EmptyImageFile", """{"id":"x","images":["empty.png"],"conversation":[{"role":"user","content":"<image> q"},{"role":"assistant","content":"a"}]}""", RecordProblemKind.CorruptImage);
        yield return C("MoreTagsThanImages", """{"id":"x","images":["a.png"],"conversation":[{"role":"user","content":"<image><image> q"},{"role":"assistant","content":"a"}]}""", RecordProblemKind.ImageTagMismatch);
        yield return C("FewerTagsThanImages", """{"id":"x","images":["a.png","b.png"],"conversation":[{"role":"user","content":"<image> q"},{"role":"assistant","content":"a"}]}""", RecordProblemKind.ImageTagMismatch);
        yield return C("EmptyConversation", """{"id":"x","images":[],"conversation":[]}""", RecordProblemKind.EmptyConversation);
        yield return C("EmptyTurn", """{"id":"x","images":[],"conversation":[{"role":"user","content":"q"},{"role":"assistant","content":"  "}]}""", RecordProblemKind.EmptyTurn);
        yield return C("NullTurn", """{"id":"x","images":[],"conversation":[{"role":"user","content":null},{"role":"assistant","content":"a"}]}""", RecordProblemKind.EmptyTurn);
        yield return C("UnknownRole", """{"id":"x","images":[],"conversation":[{"role":"user","content":"q"},{"role":"robot","content":"a"}]}""", RecordProblemKind.UnknownRole);
        yield return C("AssistantFirst", """{"id":"x","images":[],"conversation":[{"role":"assistant","content":"a"},{"role":"user","content":"q"}]}""", RecordProblemKind.TurnOrder);
        yield return C("TwoUsersInARow", """{"id":"x","images":[],"conversation":[{"role":"user","content":"q"},{"role":"user","content":"q2"},{"role":"assistant","content":"a"}]}""", RecordProblemKind.TurnOrder);
        yield return C("SystemInTheMiddle", """{"id":"x","images":[],"conversation":[{"role":"user","content":"q"},{"role":"system","content":"s"},{"role":"assistant","content":"a"}]}""", RecordProblemKind.TurnOrder);
        yield return C("OnlySystem", """{"id":"x","images":[],"conversation":[{"role":"system","content":"s"}]}""", RecordProblemKind.TurnOrder);
        yield return C("EndsWithUser", """{"id":"x","images":[],"conversation":[{"role":"user","content":"q"},{"role":"assistant","content":"a"},{"role":"user","content":"q2"}]}""", RecordProblemKind.NoFinalAnswer);
    }

    private static string Prepare(RecordTestFolder f, string badLine)
    {
        Directory.CreateDirectory(f.Path("folder.png"));
        File.WriteAllBytes(f.Path("garbage.png"), "this is not an image at all, just text"u8.ToArray());
        var png = RecordTestFolder.Png(32, 32, SkiaSharp.SKColors.Orange);
        File.WriteAllBytes(f.Path("truncated.png"), png[..(png.Length * 2 / 3)]);
        File.WriteAllBytes(f.Path("empty.png"), Array.Empty<byte>());
        return f.Write("d.jsonl", Good1 + "\n" + badLine + "\n" + Good2 + "\n");
    }

    [TestCaseSource(nameof(BadLines))]
    public void BadRecordIsSkippedAndReported(string badLine, RecordProblemKind kind)
    {
        using var f = new RecordTestFolder();
        var file = Prepare(f, badLine);
        var report = new RecordReport();
        var recs = RecordReader.Read(file, report).ToList();
        Assert.That(recs.Select(r => r.Id), Is.EqualTo(new[] { "g1", "g2" }), "the good records around the bad one survive");
        Assert.That(report.Skipped, Is.EqualTo(1));
        Assert.That(report.Accepted, Is.EqualTo(2));
        Assert.That(report.Count(kind), Is.EqualTo(1), report.ToTable());
        var example = report.Examples(kind).Single();
        Assert.That(example, Does.Contain("d.jsonl:2"), "the example names file and line");
        if (badLine.Contains("\"id\":\"x\"")) Assert.That(example, Does.Contain("'x'"), "the example names the id");
        Assert.That(report.ToTable(), Does.Contain(kind.ToString()).And.Contain("1 skipped"));
    }

    [TestCaseSource(nameof(BadLines))]
    public void StrictModeStopsAtTheBadRecord(string badLine, RecordProblemKind kind)
    {
        using var f = new RecordTestFolder();
        var file = Prepare(f, badLine);
        var seen = new List<string>();
        var ex = Assert.Throws<MantisException>(() =>
        {
            foreach (var r in RecordReader.Read(file, new RecordReport(), new RecordReaderOptions { Strict = true })) seen.Add(r.Id);
        })!;
        Assert.That(seen, Is.EqualTo(new[] { "g1" }));
        Assert.That(ex.Message, Does.Contain("d.jsonl:2").And.Contain(kind.ToString()));
    }

    [Test]
    public void HeaderCheckDoesNotDecodeButDecodeCheckCatchesTruncation()
    {
        using var f = new RecordTestFolder();
        var file = Prepare(f, """{"id":"x","images":["truncated.png"],"conversation":[{"role":"user","content":"<image> q"},{"role":"assistant","content":"a"}]}""");
        RecordReader.ReadAll(file, out var header, new RecordReaderOptions { ImageCheck = ImageCheckMode.Header });
        Assert.That(header.Skipped, Is.EqualTo(0), "the header of a truncated PNG is intact");
        RecordReader.ReadAll(file, out var none, new RecordReaderOptions { ImageCheck = ImageCheckMode.None });
        Assert.That(none.Skipped, Is.EqualTo(0));
        RecordReader.ReadAll(file, out var decode, new RecordReaderOptions { ImageCheck = ImageCheckMode.Decode });
        Assert.That(decode.Count(RecordProblemKind.CorruptImage), Is.EqualTo(1));
    }

    [Test]
    public void InferenceRecordsMayEndWithTheUser()
    {
        using var f = new RecordTestFolder();
        var file = f.Write("d.jsonl", """{"id":"q","images":["a.png"],"conversation":[{"role":"user","content":"<image> q"}]}""" + "\n");
        Assert.That(RecordReader.ReadAll(file, out _, new RecordReaderOptions { RequireFinalAssistant = false }), Has.Count.EqualTo(1));
        RecordReader.ReadAll(file, out var train);
        Assert.That(train.Count(RecordProblemKind.NoFinalAnswer), Is.EqualTo(1));
    }

    [Test]
    public void ImageRootOverridesTheRecordFolder()
    {
        using var f = new RecordTestFolder();
        var file = f.Write("sub/d.jsonl", Good1 + "\n");
        RecordReader.ReadAll(file, out var noRoot);
        Assert.That(noRoot.Count(RecordProblemKind.MissingImage), Is.EqualTo(1));
        var recs = RecordReader.ReadAll(file, out var withRoot, new RecordReaderOptions { ImageRoot = f.Root });
        Assert.That(withRoot.Skipped, Is.EqualTo(0));
        Assert.That(recs[0].Images[0].FilePath, Is.EqualTo(f.Path("a.png")));
    }

    [Test]
    public void ReportKeepsOnlyTheFirstExamplesButCountsAll()
    {
        using var f = new RecordTestFolder();
        var lines = Enumerable.Range(0, 12).Select(i => "{\"id\":\"e" + i + "\",\"conversation\":[]}");
        var file = f.Write("d.jsonl", string.Join("\n", lines));
        var report = new RecordReport(maxExamplesPerKind: 3);
        Assert.That(RecordReader.Read(file, report).Count(), Is.EqualTo(0));
        Assert.That(report.Count(RecordProblemKind.EmptyConversation), Is.EqualTo(12));
        Assert.That(report.Examples(RecordProblemKind.EmptyConversation), Has.Count.EqualTo(3));
        Assert.That(report.ToTable(), Does.Contain("12 skipped").And.Contain("'e0'"));
    }
}
