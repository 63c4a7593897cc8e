using MantisNative.Cli;
using NUnit.Framework;

namespace MantisNative.Tests.Data.Records;

public class CheckDataCliTests
{
    [Test]
    public void ExitCodesSayWhetherRecordsWereSkipped()
    {
        using var f = new RecordTestFolder();
        var good = f.Write("good.jsonl", """{"id":"g","images":["a.png"],"conversation":[{"role":"user","content":"<image> q"},{"role":"assistant","content":"a"}]}""" + "\n");
        var bad = f.Write("bad.jsonl", """{"id":"b","images":["a.png"],"conversation":[{"role":"user","content":"q"},{"role":"assistant","content":"a"}]}""" + "\n");
        Assert.That(CliApp.Run(new[] { "check-data", good }), Is.EqualTo(0));
        Assert.That(CliApp.Run(new[] { "check-data", bad }), Is.EqualTo(3), "skipped records");
        Assert.That(CliApp.Run(new[] { "check-data", bad, "--strict" }), Is.EqualTo(1), "strict: one error line");
        Assert.That(CliApp.Run(new[] { "check-data", f.Path("missing.jsonl") }), Is.EqualTo(1));
        Assert.That(CliApp.Run(new[] { "check-data", good, "--image-check", "maybe" }), Is.EqualTo(1));
    }
}
