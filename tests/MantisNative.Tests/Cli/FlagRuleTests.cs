using System.Text.RegularExpressions;
using MantisNative.Cli;
using NUnit.Framework;

namespace MantisNative.Tests.Cli;

/// <summary>
/// README "Command-line flags": one spelling per idea in every command, older spellings as aliases, train's Hugging Face
/// names with the short ones as aliases. The audit reads each command's declared flags from CliApp.FlagTables, so a new
/// command (or flag) that breaks the rule fails here.
/// </summary>
public class FlagRuleTests
{
    /// <summary>Each idea: the rule's spelling, then other spellings seen for it (in this CLI or in similar tools).</summary>
    private static readonly (string Rule, string[] Others)[] Ideas =
    {
        ("model", new[] { "model_path", "model-path", "model-dir", "model_dir", "checkpoint" }),
        ("data", new[] { "train_data", "train-data", "inputs", "input", "records", "dataset", "data-dir", "data-path" }),
        ("output", new[] { "output_dir", "output-dir", "out", "out-dir", "json", "dest" }),
        ("tokenizer", new[] { "tokenizer_path", "tokenizer-path", "vocab" }),
        ("image", new[] { "images", "img", "image-path", "image-file" }),
        ("image-root", new[] { "image_root", "image-dir", "images-dir" }),
        ("device", new[] { "gpu", "device-id", "cuda" }),
        ("seed", new[] { "random-seed", "rng-seed", "random_seed" }),
        ("system-prompt", new[] { "system_prompt", "system" }),
        ("max-new-tokens", new[] { "max_new_tokens", "max-tokens" }),
    };

    private static readonly Regex Kebab = new("^[a-z][a-z0-9]*(-[a-z0-9]+)*$");

    private static IEnumerable<string> Declared(CommandFlags f) => f.Values.Concat(f.Switches).Concat(f.Aliases.Keys);

    /// <summary>The name a command reads a spelling under (null: not accepted). train reads a key's snake and kebab forms as one setting.</summary>
    private static string? Reads(string command, CommandFlags f, string spelling)
    {
        if (!Declared(f).Contains(spelling)) return null;
        var name = f.Aliases.GetValueOrDefault(spelling, spelling);
        return command == "train" ? name.Replace('-', '_') : name;
    }

    [Test]
    public void EveryCommandDeclaresItsFlagsInOneTable()
    {
        var tables = CliApp.FlagTables.Select(t => t.Command).ToList();
        foreach (var name in CliApp.CommandNames)
            Assert.That(tables.Any(t => t == name || t.StartsWith(name + " ", StringComparison.Ordinal)), $"mantis {name} has no entry in CliApp.FlagTables");
        foreach (var t in tables)
            Assert.That(CliApp.CommandNames, Does.Contain(t.Split(' ')[0]), $"CliApp.FlagTables names '{t}', which is no command");
        Assert.That(tables, Is.Unique);
    }

    [Test]
    public void EveryFlagIsKebabCaseExceptTrainsHuggingFaceNamesWhichHaveAKebabTwin()
    {
        foreach (var (command, f) in CliApp.FlagTables)
            foreach (var name in Declared(f))
            {
                if (Kebab.IsMatch(name)) continue;
                Assert.That(command, Is.EqualTo("train"), $"mantis {command} --{name} is not kebab-case");
                Assert.That(f.Values, Does.Contain(name.Replace('_', '-')), $"mantis train --{name} has no kebab-case twin");
            }
    }

    [Test]
    public void AliasesPointAtDeclaredOptionsAndNoNameIsDeclaredTwice()
    {
        foreach (var (command, f) in CliApp.FlagTables)
        {
            Assert.That(f.Values.Concat(f.Switches).Concat(f.Aliases.Keys), Is.Unique, $"mantis {command} declares a name twice");
            foreach (var (alias, target) in f.Aliases)
                Assert.That(f.Values, Does.Contain(target), $"mantis {command} --{alias} is an alias of --{target}, which it does not declare");
        }
    }

    [Test]
    public void TheSameIdeaHasTheRulesSpellingInEveryCommand()
    {
        foreach (var (command, f) in CliApp.FlagTables)
            foreach (var (rule, others) in Ideas)
                foreach (var other in others)
                {
                    var read = Reads(command, f, other);
                    if (read is null) continue;
                    Assert.That(Reads(command, f, rule), Is.EqualTo(read),
                        $"mantis {command} takes --{other}; the rule's --{rule} must be accepted too and mean the same (README \"Command-line flags\")");
                }
    }

    [Test]
    public void EveryAliasIsReadUnderTheNameTheCommandUses()
    {
        foreach (var (command, f) in CliApp.FlagTables)
            foreach (var (alias, target) in f.Aliases)
            {
                var a = f.Parse(command, new[] { "--" + alias, "v1" });
                Assert.That(a.Get(target), Is.EqualTo("v1"), $"mantis {command} --{alias}");
                var b = f.Parse(command, new[] { $"--{alias}=v2" });
                Assert.That(b.Get(target), Is.EqualTo("v2"), $"mantis {command} --{alias}=");
            }
    }

    [Test]
    public void AYesNoFlagIsASwitchInEveryCommand()
    {
        // --allow-unused-weights was a switch in forward/eval/chat but needed a value in train
        var switches = CliApp.FlagTables.SelectMany(t => t.Flags.Switches).ToHashSet();
        foreach (var (command, f) in CliApp.FlagTables)
            // --resume is one idea with an argument where there is something to name: train resumes from a checkpoint
            // folder (a value), eval resumes its own partial output (a switch)
            foreach (var name in f.Values.Where(n => switches.Contains(n) && n != "resume"))
                Assert.That(f.BoolValues, Does.Contain(name), $"mantis {command} --{name} needs a value, but it is a switch elsewhere");
        var a = TrainCommand.Args(new[] { "--allow-unused-weights", "--strict", "false", "--gradient_checkpointing=true", "--allow_external_image_paths" });
        var cfg = TrainCommand.ConfigFrom(a);
        Assert.That(cfg.AllowUnusedWeights, Is.True, "alone: true, as the switch of the other commands");
        Assert.That(cfg.Strict, Is.False);
        Assert.That(cfg.GradientCheckpointing, Is.True);
        Assert.That(cfg.AllowExternalImagePaths, Is.True);
        foreach (var key in MantisNative.Training.TrainingConfig.Keys)
        {
            // a yes/no key takes "true" and refuses "maybe"; paths take both, numbers and choices refuse "true"
            static bool Accepts(string key, string v)
            {
                try { new MantisNative.Training.TrainingConfig().With(key, v, "test"); return true; }
                catch (MantisException) { return false; }
            }
            bool takesBool = Accepts(key, "true") && !Accepts(key, "maybe");
            Assert.That(MantisNative.Training.TrainingConfig.BoolKeys.Contains(key), Is.EqualTo(takesBool), $"train --{key}: BoolKeys must list exactly the yes/no keys");
        }
    }

    [Test]
    public void NoCountFlagBorrowsTrainsPartsName()
    {
        // make-data --train N once shared a name with train --train PARTS
        foreach (var (command, f) in CliApp.FlagTables.Where(t => t.Command != "train"))
            Assert.That(Declared(f), Does.Not.Contain("train"), $"mantis {command} --train");
    }

    [Test]
    public void TheReadmeTableListsEveryCommandsFlagsAndNoOthers()
    {
        var rows = ReadmeFlagTable();
        foreach (var (command, f) in CliApp.FlagTables)
        {
            Assert.That(rows.ContainsKey(command), $"README 'Command-line flags' table has no row for `{command}`");
            var listed = Regex.Matches(rows[command], "--([a-z0-9_-]+)").Select(m => m.Groups[1].Value).ToHashSet();
            foreach (var name in listed)
                Assert.That(Declared(f), Does.Contain(name), $"README lists --{name} for `{command}`, which it does not take");
            // train's Hugging Face keys are listed in the training section; its own flags and aliases must be in the row
            var hfKeys = command == "train" ? MantisNative.Training.TrainingConfig.Keys.SelectMany(k => new[] { k, k.Replace('_', '-') }).ToHashSet() : new HashSet<string>();
            foreach (var name in Declared(f).Where(n => !hfKeys.Contains(n) || f.Aliases.Values.Contains(n)))
                Assert.That(listed, Does.Contain(name), $"README 'Command-line flags' row for `{command}` does not list --{name}");
        }
        foreach (var row in rows.Keys)
            Assert.That(CliApp.FlagTables.Select(t => t.Command), Does.Contain(row), $"README flag table has a row for `{row}`, which is no command");
    }

    /// <summary>Rows of the table in README's "Command-line flags" section: `command` to the rest of the row.</summary>
    private static Dictionary<string, string> ReadmeFlagTable()
    {
        var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "MantisNative.sln"))) dir = dir.Parent;
        Assert.That(dir, Is.Not.Null, "repository root (MantisNative.sln) not found above the test folder");
        var lines = File.ReadAllLines(Path.Combine(dir!.FullName, "README.md"));
        int start = Array.FindIndex(lines, l => l.Trim() == "### Command-line flags");
        Assert.That(start, Is.GreaterThanOrEqualTo(0), "README has no '### Command-line flags' section");
        var rows = new Dictionary<string, string>();
        for (int i = start + 1; i < lines.Length && !lines[i].StartsWith('#'); i++)
        {
            var m = Regex.Match(lines[i], @"^\|\s*`([a-z -]+)`\s*\|(.*)\|\s*$");
            if (m.Success) rows.Add(m.Groups[1].Value, m.Groups[2].Value);
        }
        Assert.That(rows, Is.Not.Empty, "README 'Command-line flags' section has no table");
        return rows;
    }

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
    public void TrainOnAMissingGpuIsRefusedSayingWhy()
    {
        if (MantisNative.Interop.CudaDriver.IsAvailable) Assert.Ignore("this machine has a CUDA driver: train --device cuda would train");
        // refused before the synthetic set or a tokenizer is made: the data path does not even exist
        var r = CliRun.Run("train", "--device", "cuda", "--max_steps", "1", "--train_data", Path.Combine(Path.GetTempPath(), $"mantis-none-{Guid.NewGuid():N}.jsonl"));
        CliRun.AssertOneLineError(r, "--device cuda: ");
        Assert.That(r.Err, Does.Contain("driver"));
        var bad = CliRun.Run("train", "--device", "tpu", "--max_steps", "1");
        CliRun.AssertOneLineError(bad, "device");
        Assert.That(bad.Err, Does.Contain("cpu, cuda, cuda:N or auto"));
    }

    [Test]
    public void TrainTakesTheShortNamesAsAliases()
    {
        // a missing data file is refused before anything starts, naming the path the alias gave
        var missing = Path.Combine(Path.GetTempPath(), $"mantis-none-{Guid.NewGuid():N}.jsonl");
        var r = CliRun.Run("train", "--data", missing, "--output", Path.Combine(Path.GetTempPath(), $"mantis-out-{Guid.NewGuid():N}"));
        CliRun.AssertOneLineError(r, missing);
    }

    [Test]
    public void ForwardTakesDataAndKeepsInputs()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"mantis-none-{Guid.NewGuid():N}.safetensors");
        foreach (var spelling in new[] { "--data", "--inputs" })
        {
            var r = CliRun.Run("forward", "--model", MissingModel, spelling, missing, "--output", Path.Combine(Path.GetTempPath(), "o.safetensors"));
            Assert.That(r.Code, Is.EqualTo(1), spelling + ": " + r.Err);
            Assert.That(r.Err, Does.Not.Contain("unknown option").And.Not.Contain("missing required"), spelling);
        }
    }

    private static readonly string MissingModel = Path.Combine(Path.GetTempPath(), $"mantis-no-model-{Guid.NewGuid():N}");

    [Test]
    public void CheckDataTakesPathsAsDataOrPositional()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"mantis-none-{Guid.NewGuid():N}.jsonl");
        CliRun.AssertOneLineError(CliRun.Run("check-data", "--data", missing), missing);
        CliRun.AssertOneLineError(CliRun.Run("check-data", missing), missing);
    }

    [Test]
    public void PreprocessTakesImagesAsImageOrPositional()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"mantis-none-{Guid.NewGuid():N}.png");
        var output = Path.Combine(Path.GetTempPath(), $"mantis-px-{Guid.NewGuid():N}.safetensors");
        CliRun.AssertOneLineError(CliRun.Run("preprocess", "--processor", "siglip", "--output", output, "--image", missing), missing);
        CliRun.AssertOneLineError(CliRun.Run("preprocess", "--processor", "siglip", "--output", output, missing), missing);
    }

    [TestCase("gpu-check")]
    [TestCase("kernels check")]
    public void GpuCommandsTakeForwardsDeviceSpellingAndTheirOldIndex(string command)
    {
        var f = CliApp.FlagTables.Single(t => t.Command == command).Flags;
        Assert.That(GpuIndexArg.Parse(f.Parse(command, new[] { "--device", "cuda:3" })), Is.EqualTo(3));
        Assert.That(GpuIndexArg.Parse(f.Parse(command, new[] { "--device", "2" })), Is.EqualTo(2));
        Assert.That(GpuIndexArg.Parse(f.Parse(command, new[] { "--device", "cuda" })), Is.EqualTo(0));
        Assert.That(GpuIndexArg.Parse(f.Parse(command, Array.Empty<string>())), Is.EqualTo(0));
        var e = Assert.Throws<MantisException>(() => GpuIndexArg.Parse(f.Parse(command, new[] { "--device", "cpu" })));
        Assert.That(e!.Message, Does.Contain("--device").And.Contain("'cpu'"));
    }

    [Test]
    public void GpuCheckRefusesABadDeviceWhateverTheTarget()
    {
        CliRun.AssertOneLineError(CliRun.Run("gpu-check", "--target", "cpu", "--device", "cuda:x"), "--device");
    }

    [Test]
    public void InfoRefusesAStrayFlagInsteadOfIgnoringIt()
    {
        CliRun.AssertUsageError(CliRun.Run("info", "--verbose"), "info", "--verbose");
    }
}
