using MantisNative.Cli;
using NUnit.Framework;

namespace MantisNative.Tests.Data.Synthetic;

public class MakeDataCliTests
{
    [Test]
    public void MakeDataCommandWritesASetAndRejectsBadInput()
    {
        var dir = Path.Combine(Path.GetTempPath(), "mantis-cli-" + Guid.NewGuid().ToString("N"));
        try
        {
            Assert.That(CliApp.Run(new[] { "make-data", "--out", dir, "--train-examples", "30", "--heldout-examples", "15", "--seed", "3" }), Is.EqualTo(0));
            Assert.That(File.ReadLines(Path.Combine(dir, "train.jsonl")).Count(), Is.EqualTo(30));
            Assert.That(File.ReadLines(Path.Combine(dir, "heldout.jsonl")).Count(), Is.EqualTo(15));
            Assert.That(CliApp.Run(new[] { "make-data", "--out", dir, "--train-examples", "30" }), Is.EqualTo(1), "non-empty folder without --force");
            Assert.That(CliApp.Run(new[] { "make-data", "--out", dir, "--train-examples", "30", "--heldout-examples", "15", "--force" }), Is.EqualTo(0));
            Assert.That(CliApp.Run(new[] { "make-data", "--out", dir, "--bogus" }), Is.EqualTo(2), "an option make-data does not take: a usage error");
            Assert.That(CliApp.Run(new[] { "make-data", "--output", dir, "--train-examples", "many" }), Is.EqualTo(1));
            Assert.That(CliApp.Run(new[] { "make-data", "--out", dir, "--seed", "-1", "--force" }), Is.EqualTo(1));
            Assert.That(CliApp.Run(new[] { "make-data", "--out", dir, "--image-size", "4", "--force" }), Is.EqualTo(1));
            Assert.That(CliApp.Run(new[] { "make-data", "--train-examples", "3" }), Is.EqualTo(1), "--output is required");
            Assert.That(CliApp.Run(new[] { "make-data", "--output", dir, "--train", "30", "--force" }), Is.EqualTo(2), "--train names train's parts, not a count: an unknown option here");
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }
}
