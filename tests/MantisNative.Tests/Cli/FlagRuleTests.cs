using MantisNative.Cli;
using NUnit.Framework;

namespace MantisNative.Tests.Cli;

/// <summary>README "Command-line flags": one spelling per idea, train's Hugging Face names with the short ones as aliases.</summary>
public class FlagRuleTests
{
    [Test]
    public void AnAliasIsReadUnderTheNameTheCommandUses()
    {
        var a = new CliArgs("train", new[] { "--model", "m", "--output=o" }, new[] { "model_path", "output_dir" }, Array.Empty<string>(),
            new Dictionary<string, string> { ["model"] = "model_path", ["output"] = "output_dir" });
        Assert.That(a.Get("model_path"), Is.EqualTo("m"));
        Assert.That(a.Get("output_dir"), Is.EqualTo("o"));
        Assert.That(a.Get("model"), Is.Null);
    }

    [Test]
    public void TrainRefusesAGpuInsteadOfIgnoringIt()
    {
        var r = CliRun.Run("train", "--device", "cuda", "--max_steps", "1");
        CliRun.AssertOneLineError(r, "device");
        Assert.That(r.Err, Does.Contain("CPU"));
    }

    [Test]
    public void TrainTakesTheShortNamesAsAliases()
    {
        // a missing data file is refused before anything starts, naming the path the alias gave
        var missing = Path.Combine(Path.GetTempPath(), $"mantis-none-{Guid.NewGuid():N}.jsonl");
        var r = CliRun.Run("train", "--data", missing, "--output", Path.Combine(Path.GetTempPath(), $"mantis-out-{Guid.NewGuid():N}"));
        CliRun.AssertOneLineError(r, missing);
    }
}
