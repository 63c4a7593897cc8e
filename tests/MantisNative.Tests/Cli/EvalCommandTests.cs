using MantisNative.Tests.Inference;
using NUnit.Framework;
using static MantisNative.Tests.Cli.CliRun;

namespace MantisNative.Tests.Cli;

[NonParallelizable] // redirects the console
public class EvalCommandTests
{
    [Test]
    public void PrintsATablePerFamilyWithChanceAndWritesPredictions()
    {
        var tiny = TinyModelFolder.Shared;
        var preds = Path.Combine(Path.GetTempPath(), $"mantis-eval-{Guid.NewGuid():N}", "preds.jsonl");
        try
        {
            var (code, output, err) = Run("eval", "--model", tiny.ModelDir, "--data", tiny.DataDir, "--limit", "15", "--output", preds);
            Assert.That(code, Is.EqualTo(0), err);
            Assert.That(File.ReadAllLines(preds), Has.Length.EqualTo(15));
            Assert.That(output, Does.Contain("coref_colour").And.Contain("temporal").And.Contain("chance").And.Contain("overall"));
            Assert.That(output, Does.Contain("on 15 records"));
            Assert.That(output, Does.Contain(Path.GetFullPath(preds)));
            Assert.That(err, Does.Contain("15/15 answered"));
        }
        finally { Directory.Delete(Path.GetDirectoryName(preds)!, true); }
    }

    [Test]
    public void ErrorsAreOneLine()
    {
        var tiny = TinyModelFolder.Shared;
        var preds = Path.Combine(Path.GetTempPath(), "mantis-preds.jsonl");
        AssertOneLineError(Run("eval", "--model", "/no/such/model", "--data", tiny.DataDir, "--output", preds), "/no/such/model");
        AssertOneLineError(Run("eval", "--model", tiny.ModelDir, "--data", "/no/such/data", "--output", preds), "/no/such/data");
        AssertOneLineError(Run("eval", "--model", tiny.ModelDir, "--data", tiny.DataDir, "--split", "valid", "--output", preds), "valid.jsonl");
        AssertOneLineError(Run("eval", "--model", tiny.ModelDir, "--data", tiny.DataDir, "--limit", "zero"), "--limit");
        AssertOneLineError(Run("eval", "--model", tiny.ModelDir, "--data", tiny.DataDir, "--limit", "0"), "--limit");
        AssertUsageError(Run("eval", "--model", tiny.ModelDir, "--data", tiny.DataDir, "--frobnicate"), "eval", "--frobnicate");
        AssertOneLineError(Run("eval", "--data", tiny.DataDir), "--model");
        AssertOneLineError(Run("eval", "--model", tiny.ModelDir, "--data", tiny.DataDir, "--output", "/proc/no-such-dir/preds.jsonl"), "/proc/no-such-dir");
    }
}
