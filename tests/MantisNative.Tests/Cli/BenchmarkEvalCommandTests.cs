using System.Text.Json;
using MantisNative.Evaluation.Benchmarks;
using MantisNative.Tests.Inference;
using NUnit.Framework;
using static MantisNative.Tests.Cli.CliRun;

namespace MantisNative.Tests.Cli;

[NonParallelizable] // redirects the console
public class BenchmarkEvalCommandTests
{
    private static readonly Lazy<(string Root, IReadOnlyDictionary<string, string> Dirs)> Samples = new(() =>
    {
        var root = Path.Combine(Path.GetTempPath(), $"mantis-bench-cli-{Guid.NewGuid():N}");
        var dirs = BenchmarkSamples.WriteAll(root, 4);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => { try { Directory.Delete(root, true); } catch (IOException) { } };
        return (root, dirs);
    });

    [TestCase("nlvr2", 4, 87.4)]
    [TestCase("qbench2", 4, 69.9)]
    [TestCase("mantis-eval", 4, 59.45)]
    [TestCase("blink", 14, 46.4)]
    [TestCase("mvbench", 20, 50.2)]
    public void EveryBenchmarkRunsEndToEndWithJsonlAndChart(string name, int items, double paper)
    {
        var tiny = TinyModelFolder.Shared;
        var outDir = Path.Combine(Samples.Value.Root, "out-" + name);
        var jsonl = Path.Combine(outDir, "answers.jsonl");
        var extra = name == "mvbench" ? new[] { "--frames", "2" } : Array.Empty<string>();
        var (code, output, err) = Run(new[] { "eval", "--benchmark", name, "--data", Samples.Value.Dirs[name], "--model", tiny.ModelDir,
            "--output", jsonl, "--batch-size", "3", "--max-new-tokens", "4" }.Concat(extra).ToArray());
        Assert.That(code, Is.EqualTo(0), err);
        var lines = File.ReadAllLines(jsonl);
        Assert.That(lines, Has.Length.EqualTo(items));
        using (var doc = JsonDocument.Parse(lines[0]))
            foreach (var key in new[] { "id", "category", "prompt", "output", "parsed", "reference", "correct" })
                Assert.That(doc.RootElement.TryGetProperty(key, out _), Is.True, key);
        Assert.That(output, Does.Contain($"Mantis-SigLIP {paper:F2} %").And.Contain("Idefics2-8B").And.Contain("random"));
        Assert.That(output, Does.Contain($"on {items} items"));
        var chart = Path.ChangeExtension(jsonl, ".png");
        using (var codec = SkiaSharp.SKCodec.Create(chart)) Assert.That(codec.EncodedFormat, Is.EqualTo(SkiaSharp.SKEncodedImageFormat.Png));
        Assert.That(err, Does.Contain($"{items}/{items}"), "progress bar");
    }

    [Test]
    public void ResumeKeepsFinishedItemsAndDropsATornLine()
    {
        var tiny = TinyModelFolder.Shared;
        var jsonl = Path.Combine(Samples.Value.Root, "resume", "answers.jsonl");
        string[] Args(params string[] more) => new[] { "eval", "--benchmark", "nlvr2", "--data", Samples.Value.Dirs["nlvr2"], "--model", tiny.ModelDir,
            "--output", jsonl, "--max-new-tokens", "4" }.Concat(more).ToArray();
        var (code, _, err) = Run(Args("--limit", "2"));
        Assert.That(code, Is.EqualTo(0), err);
        var firstTwo = File.ReadAllLines(jsonl);
        Assert.That(firstTwo, Has.Length.EqualTo(2));
        File.AppendAllText(jsonl, "{\"id\": \"test1-2-0-0\", \"outp");   // killed mid-write
        var (code2, output, err2) = Run(Args("--resume"));
        Assert.That(code2, Is.EqualTo(0), err2);
        Assert.That(output, Does.Contain("answered 2 items").And.Contain("2 resumed"));
        var all = File.ReadAllLines(jsonl);
        Assert.That(all, Has.Length.EqualTo(4));
        Assert.That(all[..2], Is.EqualTo(firstTwo));

        // a full run without --resume gives the same answers: batching and resuming change nothing
        var (code3, _, err3) = Run(Args("--batch-size", "1"));
        Assert.That(code3, Is.EqualTo(0), err3);
        Assert.That(File.ReadAllLines(jsonl), Is.EqualTo(all));
    }

    [Test]
    public void ErrorsAreOneLine()
    {
        var tiny = TinyModelFolder.Shared;
        AssertOneLineError(Run("eval", "--benchmark", "mmmu", "--data", "x", "--model", tiny.ModelDir), "mmmu");
        AssertOneLineError(Run("eval", "--benchmark", "nlvr2", "--data", "/no/such/nlvr2", "--model", tiny.ModelDir, "--output", Path.Combine(Samples.Value.Root, "e.jsonl")), "/no/such/nlvr2");
        AssertOneLineError(Run("eval", "--benchmark", "blink", "--data", Samples.Value.Dirs["blink"], "--model", tiny.ModelDir, "--batch-size", "0"), "--batch-size");
        AssertOneLineError(Run("eval", "--benchmark", "blink", "--data", Samples.Value.Dirs["blink"], "--model", tiny.ModelDir, "--frames", "4"), "--frames");
        AssertOneLineError(Run("eval", "--model", tiny.ModelDir, "--data", tiny.DataDir, "--resume"), "--resume");
    }
}
