using System.Text.RegularExpressions;
using MantisNative.Cli;
using MantisNative.Training;
using NUnit.Framework;

namespace MantisNative.Tests.Cli;

/// <summary>
/// `mantis CMD --help` is printed from the table CMD parses with (CliApp.FlagTables), so these tests enumerate each
/// table: every name the parser accepts must be in the help (as an option row, an alias named on its option's row,
/// or train's kebab-case twins, named once at the top), and nothing else runs when help is asked for.
/// </summary>
public class CliHelpTests
{
    private static IEnumerable<string> Commands => CliApp.FlagTables.Select(t => t.Command);

    private static CommandFlags Table(string command) => CliApp.FlagTables.Single(t => t.Command == command).Flags;

    private static (int Code, string Out, string Err) Run(string command, params string[] rest) =>
        CliRun.Run(command.Split(' ').Concat(rest).ToArray());

    /// <summary>The option rows of a help text: the option's name (first spelling on the row) to the row's text, wrapped lines joined.</summary>
    private static Dictionary<string, string> Rows(string help)
    {
        var rows = new Dictionary<string, string>();
        string? current = null;
        foreach (var line in help.Split('\n').SkipWhile(l => l.Trim() != "options:").Skip(1).TakeWhile(l => l.Trim().Length > 0))
        {
            var m = Regex.Match(line, @"^  (?:-h, )?--([A-Za-z0-9_-]+)");
            if (m.Success)
            {
                current = m.Groups[1].Value;
                Assert.That(rows.ContainsKey(current), Is.False, $"--{current} has two rows:\n{help}");
                rows[current] = line.Trim();
            }
            else
            {
                Assert.That(current, Is.Not.Null, $"help has a continuation line before any option:\n{help}");
                rows[current!] += " " + line.Trim();
            }
        }
        return rows;
    }

    [TestCaseSource(nameof(Commands))]
    public void HelpExitsZeroAndListsEveryOptionTheParserAccepts(string command)
    {
        var f = Table(command);
        var r = Run(command, "--help");
        Assert.That(r.Code, Is.EqualTo(0), r.Err);
        Assert.That(r.Err, Is.Empty, "help goes to stdout and nothing else runs");
        Assert.That(r.Out, Does.StartWith($"usage: mantis {command}"));
        var rows = Rows(r.Out);
        Assert.That(rows.Keys, Does.Contain("help"), "-h, --help has its own row");
        // every option once, in the table's canonical spelling, with a meaning
        foreach (var o in f.Options)
        {
            Assert.That(rows.ContainsKey(o.Name), $"mantis {command} --help has no row for --{o.Name}:\n{r.Out}");
            var row = rows[o.Name];
            Assert.That(row.Length, Is.GreaterThan(("--" + o.Name + " " + o.Placeholder).Length + 10), $"--{o.Name} has no meaning: {row}");
            if (!o.IsSwitch) Assert.That(row, Does.StartWith($"--{o.Name} {o.Placeholder} "), "a value option shows its placeholder");
            if (o.Default is not null) Assert.That(row, Does.Contain($"default: {o.Default}"));
            if (o.Required) Assert.That(row, Does.Contain("required"));
        }
        Assert.That(rows.Keys.Except(f.Options.Select(o => o.Name)), Is.EquivalentTo(new[] { "help" }), "no row for an option the table lacks");
        // every name the parser accepts: an option row, an alias on its option's row, or a kebab twin (named once in the notes)
        var accepted = f.Values.Concat(f.Switches).Concat(f.Aliases.Keys).ToList();
        if (command != "info") Assert.That(accepted, Is.Not.Empty);
        foreach (var name in accepted)
        {
            var option = f.Find(name);
            Assert.That(option, Is.Not.Null, $"mantis {command} accepts --{name}, which no option of its table owns");
            if (name == option!.Name) continue;
            if (f.Aliases.ContainsKey(name))
                Assert.That(rows[option.Name], Does.Contain("--" + name), $"alias --{name} is named on --{option.Name}'s row");
            else
            {
                Assert.That(option.Twins, Does.Contain(name));
                Assert.That(name, Is.EqualTo(option.Name.Replace('_', '-')), "a twin is the kebab-case spelling");
                Assert.That(r.Out.Split("options:")[0], Does.Contain("kebab-case"), "the kebab-case rule is said once, above the options");
                Assert.That(Regex.IsMatch(r.Out, $@"^\s+--{Regex.Escape(name)}\b", RegexOptions.Multiline), Is.False, $"--{name} gets no row of its own");
            }
        }
        // usage lines and examples name only options the command takes
        var usageAndExamples = string.Join("\n", r.Out.Split('\n').Where(l => l.StartsWith("usage:") || l.StartsWith("       mantis") || l.StartsWith("  mantis")));
        foreach (Match m in Regex.Matches(usageAndExamples, @"(?<=\s)--([a-z0-9][a-z0-9_-]*)"))
            Assert.That(accepted, Does.Contain(m.Groups[1].Value), $"mantis {command} --help shows --{m.Groups[1].Value}, which it does not take");
    }

    [TestCaseSource(nameof(Commands))]
    public void ShortHelpAndHelpCommandPrintTheSameText(string command)
    {
        var help = Run(command, "--help");
        var h = Run(command, "-h");
        var viaHelp = CliRun.Run(new[] { "help" }.Concat(command.Split(' ')).ToArray());
        Assert.That(h.Code, Is.EqualTo(0));
        Assert.That(viaHelp.Code, Is.EqualTo(0));
        Assert.That(h.Out, Is.EqualTo(help.Out));
        Assert.That(viaHelp.Out, Is.EqualTo(help.Out), $"mantis help {command} = mantis {command} --help");
    }

    [TestCaseSource(nameof(Commands))]
    public void AnUnknownOptionIsOneLineNamingItAndTheHelpExitTwo(string command)
    {
        CliRun.AssertUsageError(Run(command, "--no-such-option-here"), command, "unknown option --no-such-option-here");
    }

    [TestCase("train", "--max-step", "--max-steps")]
    [TestCase("train", "--max_step", "--max_steps")]
    [TestCase("train", "--learning-rte", "--learning-rate")]
    [TestCase("train", "--batch-size", "--per-device-train-batch-size")]
    [TestCase("eval", "--batchsize", "--batch-size")]
    [TestCase("chat", "--mdoel", "--model")]
    [TestCase("make-data", "--outptu", "--output")]
    [TestCase("kernels check", "--groups", "--group")]
    public void AnUnknownOptionSuggestsTheClosestKnownOne(string command, string typed, string suggested)
    {
        var r = Run(command, typed, "1");
        CliRun.AssertUsageError(r, command, $"unknown option {typed} (did you mean {suggested}?)");
    }

    [Test]
    public void NoSuggestionWhenNothingIsClose()
    {
        var r = Run("merge", "--frobnicate");
        CliRun.AssertUsageError(r, "merge", "unknown option --frobnicate");
        Assert.That(r.Err, Does.Not.Contain("did you mean"));
    }

    [Test]
    public void ASwitchGivenAValueIsAUsageError()
    {
        CliRun.AssertUsageError(CliRun.Run("merge", "--force=yes"), "merge", "--force is a switch");
    }

    [Test]
    public void MantisHelpTrainIsTrainHelp()
    {
        var a = CliRun.Run("help", "train");
        var b = CliRun.Run("train", "--help");
        Assert.That(a.Code, Is.EqualTo(0));
        Assert.That(a.Out, Is.EqualTo(b.Out));
        Assert.That(a.Out, Does.StartWith("usage: mantis train").And.Contain("--max_steps N"));
        Assert.That(CliRun.Run("help").Out, Is.EqualTo(CliRun.Run("--help").Out), "mantis help alone: the command list");
        Assert.That(CliRun.Run("help", "no-such-command").Code, Is.EqualTo(2));
    }

    [Test]
    public void AnUnknownCommandSuggestsTheClosestOneExitTwo()
    {
        var r = CliRun.Run("trian", "--max_steps", "1");
        Assert.That(r.Code, Is.EqualTo(2));
        Assert.That(r.Err, Does.Contain("unknown command 'trian' (did you mean train?)"));
        Assert.That(r.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries), Has.Length.EqualTo(1));
    }

    [Test]
    public void TopLevelHelpListsEveryCommandAndPointsAtCommandHelp()
    {
        var r = CliRun.Run("--help");
        Assert.That(r.Code, Is.EqualTo(0));
        foreach (var name in CliApp.CommandNames) Assert.That(r.Out, Does.Match($@"(?m)^  {Regex.Escape(name)} "));
        Assert.That(r.Out, Does.Contain("mantis COMMAND --help"));
    }

    [Test]
    public void KernelsAloneOrWithHelpShowsBothSubcommands()
    {
        var help = CliRun.Run("kernels", "--help");
        Assert.That(help.Code, Is.EqualTo(0));
        Assert.That(help.Out, Does.Contain("mantis kernels compile").And.Contain("mantis kernels check"));
        Assert.That(CliRun.Run("help", "kernels").Out, Is.EqualTo(help.Out));
        Assert.That(CliRun.Run("kernels").Code, Is.EqualTo(2), "no subcommand: a usage error, as before");
    }

    [Test]
    public void TrainHelpShowsTrainingConfigsDefaultsNotCopies()
    {
        var rows = Rows(CliRun.Run("train", "--help").Out);
        var builtIn = TrainingDefaults.BuiltIn();
        var file = new TrainingConfig();
        Assert.That(TrainSettingsHelp.Stale, Is.Empty, "help text for keys TrainingConfig no longer has");
        foreach (var key in TrainingConfig.Keys)
        {
            Assert.That(rows.ContainsKey(key), $"train --help has no row for --{key}");
            var shown = TrainSettingsHelp.Show(builtIn, key);
            if (shown is not null) Assert.That(rows[key], Does.Contain($"default: {shown}"), key);
            var fromFile = TrainSettingsHelp.Show(file, key);
            if (fromFile != shown) Assert.That(rows[key], Does.Contain($"with --config: {fromFile ?? "none"}"), key);
            // what the help shows as the default is a value the setting accepts, and gives back the same value
            if (shown is not null)
                Assert.That(TrainSettingsHelp.Show(builtIn.With(key, shown, "test"), key), Is.EqualTo(shown), $"--{key} {shown}");
        }
        // a spot check against the numbers themselves, so a broken reader cannot agree with itself
        Assert.That(rows["max_steps"], Does.Contain($"default: {builtIn.MaxSteps}; with --config: {file.MaxSteps}"));
        Assert.That(rows["learning_rate"], Does.Contain("default: 0.001"));
        Assert.That(rows["lr_scheduler_type"], Does.Contain("default: cosine"));
        Assert.That(rows["train"], Does.Contain("default: projector,llm,vision; with --config: projector,llm"));
        Assert.That(rows["model_path"], Does.Contain("also --model"));
    }

    [Test]
    public void HelpWinsOverEverythingElseOnTheLineAndRunsNothing()
    {
        var output = Path.Combine(Path.GetTempPath(), $"mantis-help-{Guid.NewGuid():N}");
        // --help anywhere before `--`, even where a value would stand, even after an option the command lacks
        foreach (var args in new[]
                 {
                     new[] { "train", "--max_steps", "5", "--output_dir", output, "--help" },
                     new[] { "train", "--no-such-option", "--help" },
                     new[] { "eval", "--model", "--help" },
                     new[] { "make-data", "--output", output, "-h" },
                 })
        {
            var r = CliRun.Run(args);
            Assert.That(r.Code, Is.EqualTo(0), string.Join(" ", args) + ": " + r.Err);
            Assert.That(r.Out, Does.StartWith($"usage: mantis {args[0]}"));
        }
        Assert.That(Directory.Exists(output), Is.False, "help ran nothing");
    }

    [Test]
    public void AfterDoubleDashOrAsAValueHelpIsPlainText()
    {
        // `-h` as an option's value stays that value (chat then wants its --model); after `--` both are arguments
        CliRun.AssertOneLineError(CliRun.Run("chat", "--system-prompt", "-h"), "--model");
        var tokenizer = Path.Combine(Path.GetTempPath(), $"mantis-no-tokenizer-{Guid.NewGuid():N}");
        CliRun.AssertOneLineError(CliRun.Run("tokenize", "--tokenizer", tokenizer, "--", "--help"), tokenizer);
    }

    [Test]
    public void EveryTableHasASummaryAndEveryOptionAMeaning()
    {
        foreach (var (command, f) in CliApp.FlagTables)
        {
            Assert.That(f.Command, Is.EqualTo(command), "the table names the command it belongs to");
            Assert.That(f.Summary, Is.Not.Empty, command);
            foreach (var o in f.Options)
            {
                Assert.That(o.Meaning.Trim().Length, Is.GreaterThan(5), $"mantis {command} --{o.Name}");
                Assert.That(o.Placeholder, Is.Null.Or.Not.Empty, $"mantis {command} --{o.Name}");
            }
        }
    }

    [TestCase("max-step", new[] { "max-steps", "max_steps", "save-steps" }, "max-steps")]
    [TestCase("mdoel", new[] { "model", "data", "output" }, "model")]
    [TestCase("steps", new[] { "max-steps", "logging-steps", "seed" }, "max-steps")]
    [TestCase("verbose", new[] { "model", "data", "output" }, null)]
    [TestCase("x", new[] { "model", "y" }, "y")]
    public void ClosestOption(string typed, string[] known, string? expected)
    {
        Assert.That(OptionSuggestion.Closest(typed, known), Is.EqualTo(expected));
    }
}
