using MantisNative.Data.Records;
using NUnit.Framework;
using Parquet.Schema;
using Parquet.Serialization;

namespace MantisNative.Tests.Data.Records;

/// <summary>Parquet files written here with Parquet.Net in the layout Hugging Face datasets uses for Mantis-Instruct.</summary>
public class ParquetRecordTests
{
    private static readonly ParquetSchema EmbeddedSchema = new(
        new DataField<string>("id"),
        new ListField("images", new StructField("element", new DataField<byte[]>("bytes"), new DataField<string>("path"))),
        new ListField("conversation", new StructField("element", new DataField<string>("role"), new DataField<string>("content"))),
        new DataField<string>("skill"));

    private static Dictionary<string, object?> Img(byte[]? bytes, string? path) => new()
    {
        ["bytes"] = bytes is null ? null : (ReadOnlyMemory<byte>?)bytes,
        ["path"] = path,
    };

    private static Dictionary<string, object?> T(string role, string? content) => new() { ["role"] = role, ["content"] = content };

    private static Dictionary<string, object?> Row(string id, List<Dictionary<string, object?>> images, List<Dictionary<string, object?>> turns) => new()
    {
        ["id"] = id,
        ["images"] = images,
        ["conversation"] = turns,
        ["skill"] = "comparison",
    };

    private static string WriteParquet(string path, ParquetSchema schema, IReadOnlyCollection<IDictionary<string, object?>> rows)
    {
        using var fs = File.Create(path);
        ParquetSerializer.SerializeUntypedAsync(rows, schema, fs).GetAwaiter().GetResult();
        return path;
    }

    [Test]
    public void EmbeddedImageBytesAndBadRowsAreHandled()
    {
        using var f = new RecordTestFolder();
        var png = RecordTestFolder.Png(10, 10, SkiaSharp.SKColors.Purple);
        var q = new List<Dictionary<string, object?>> { T("user", "<image><image> same?"), T("assistant", "no") };
        var rows = new List<IDictionary<string, object?>>
        {
            Row("ok", new() { Img(png, "x.png"), Img(null, "a.png") }, q),
            Row("corrupt", new() { Img(new byte[] { 1, 2, 3, 4 }, "y.png"), Img(png, null) }, q),
            Row("tags", new() { Img(png, null) }, q),
            Row("empty", new() { Img(png, null), Img(png, null) }, new() { T("user", "<image><image> same?"), T("assistant", null) }),
            Row("order", new() { Img(png, null), Img(png, null) }, new() { T("assistant", "<image><image> same?"), T("user", "no") }),
            Row("role", new() { Img(png, null), Img(png, null) }, new() { T("user", "<image><image> same?"), T("bot", "no") }),
            Row("missing", new() { Img(png, null), Img(null, "gone.png") }, q),
            Row("ok2", new() { Img(png, null), Img(png, null) }, q),
        };
        var file = WriteParquet(f.Path("d.parquet"), EmbeddedSchema, rows);

        var recs = RecordReader.ReadAll(file, out var report);
        Assert.That(recs.Select(r => r.Id), Is.EqualTo(new[] { "ok", "ok2" }), report.ToTable());
        Assert.That(recs[0].Images[0].IsEmbedded, Is.True);
        Assert.That(recs[0].Images[0].ReadAllBytes(), Is.EqualTo(png));
        Assert.That(recs[0].Images[1].FilePath, Is.EqualTo(f.Path("a.png")), "a struct with only a path is a file");
        Assert.That(recs[0].Get("skill"), Is.EqualTo("comparison"));
        Assert.That(recs[1].Line, Is.EqualTo(7), "row index");
        Assert.That(report.Count(RecordProblemKind.CorruptImage), Is.EqualTo(1));
        Assert.That(report.Count(RecordProblemKind.ImageTagMismatch), Is.EqualTo(1));
        Assert.That(report.Count(RecordProblemKind.EmptyTurn), Is.EqualTo(1));
        Assert.That(report.Count(RecordProblemKind.TurnOrder), Is.EqualTo(1));
        Assert.That(report.Count(RecordProblemKind.UnknownRole), Is.EqualTo(1));
        Assert.That(report.Count(RecordProblemKind.MissingImage), Is.EqualTo(1));
        Assert.That(report.Examples(RecordProblemKind.CorruptImage)[0], Does.Contain("'corrupt'").And.Contain("d.parquet row 1"));

        var ex = Assert.Throws<MantisException>(() => RecordReader.ReadAll(file, out _, new RecordReaderOptions { Strict = true }))!;
        Assert.That(ex.Message, Does.Contain("d.parquet row 1").And.Contain("CorruptImage").And.Contain("'corrupt'"));
    }

    [Test]
    public void PathListsAndConversationsFromValue()
    {
        using var f = new RecordTestFolder();
        var schema = new ParquetSchema(
            new DataField<string>("id"),
            new ListField("images", new DataField<string>("element")),
            new ListField("conversations", new StructField("element", new DataField<string>("from"), new DataField<string>("value"))));
        var rows = new List<IDictionary<string, object?>>
        {
            new Dictionary<string, object?>
            {
                ["id"] = "p",
                ["images"] = new List<ReadOnlyMemory<char>?> { "a.png".AsMemory(), "c.jpg".AsMemory() },
                ["conversations"] = new List<Dictionary<string, object?>>
                {
                    new() { ["from"] = "human", ["value"] = "<image> vs <image>" },
                    new() { ["from"] = "gpt", ["value"] = "left" },
                },
            },
            new Dictionary<string, object?>
            {
                ["id"] = null,
                ["images"] = new List<ReadOnlyMemory<char>?>(),
                ["conversations"] = new List<Dictionary<string, object?>>(),
            },
        };
        var file = WriteParquet(f.Path("p.parquet"), schema, rows);
        var recs = RecordReader.ReadAll(file, out var report);
        Assert.That(recs, Has.Count.EqualTo(1));
        Assert.That(recs[0].Images.Select(i => i.FilePath), Is.EqualTo(new[] { f.Path("a.png"), f.Path("c.jpg") }));
        Assert.That(recs[0].Turns.Select(t => t.Role), Is.EqualTo(new[] { TurnRole.User, TurnRole.Assistant }));
        Assert.That(report.Count(RecordProblemKind.EmptyConversation), Is.EqualTo(1));
        Assert.That(report.Examples(RecordProblemKind.EmptyConversation)[0], Does.Contain("p.parquet row 1"), "no id: named by file and row");
    }

    [Test]
    public void ParquetWithoutConversationColumnReportsMissingField()
    {
        using var f = new RecordTestFolder();
        var schema = new ParquetSchema(new DataField<string>("id"), new ListField("images", new DataField<string>("element")));
        var rows = new List<IDictionary<string, object?>>
        {
            new Dictionary<string, object?> { ["id"] = "n", ["images"] = new List<ReadOnlyMemory<char>?> { "a.png".AsMemory() } },
        };
        var file = WriteParquet(f.Path("n.parquet"), schema, rows);
        RecordReader.ReadAll(file, out var report);
        Assert.That(report.Count(RecordProblemKind.MissingField), Is.EqualTo(1));
    }

    [Test]
    public void FileThatIsNotParquetIsReportedNotThrown()
    {
        using var f = new RecordTestFolder();
        var file = f.Write("bad.parquet", "definitely not parquet");
        var recs = RecordReader.ReadAll(file, out var report);
        Assert.That(recs, Is.Empty);
        Assert.That(report.Count(RecordProblemKind.NotARecord), Is.EqualTo(1));
        Assert.Throws<MantisException>(() => RecordReader.ReadAll(file, out _, new RecordReaderOptions { Strict = true }));
    }
}
