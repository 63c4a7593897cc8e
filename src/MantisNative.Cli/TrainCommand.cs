using System.Runtime.InteropServices;
using MantisNative.Training;

namespace MantisNative.Cli;

/// <summary>
/// `mantis train [--config FILE.json] [--name value ...] [--resume DIR]`: instruction tuning. With no arguments
/// it runs the built-in default (synthetic skills set, tiny model, evaluation against the untrained model and chance).
/// Ctrl-C or SIGTERM saves a checkpoint and exits cleanly.
/// </summary>
public static class TrainCommand
{
    /// <summary>The flags every other command uses, as aliases of the Hugging Face Trainer names train documents.</summary>
    private static readonly Dictionary<string, string> ShortNames = new()
    {
        ["model"] = "model_path",
        ["data"] = "train_data",
        ["output"] = "output_dir",
    };

    public static int Run(string[] argv)
    {
        var a = Args(argv);
        if (a.Positional.Count > 0) throw new MantisException($"mantis train: unexpected argument '{a.Positional[0]}' (settings are given as --name value)");
        var cfg = ConfigFrom(a);
        OutputPath.EnsureWritable(Path.Combine(cfg.OutputDir, "metrics.jsonl"));

        using var cancel = new CancellationTokenSource();
        ConsoleCancelEventHandler onCtrlC = (_, e) => { e.Cancel = true; cancel.Cancel(); };
        Console.CancelKeyPress += onCtrlC;
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; cancel.Cancel(); });
        try
        {
            return TrainRun.Execute(cfg, a.Get("resume"), evaluate: !a.Flag("no-eval"), plain: a.Flag("plain") || Console.IsOutputRedirected, cancel.Token);
        }
        finally { Console.CancelKeyPress -= onCtrlC; }
    }

    /// <summary>
    /// Every Hugging Face key (TrainingConfig.Keys) in snake_case with its kebab-case twin, the config file and resume
    /// folder, the two switches; the short names as aliases.
    /// </summary>
    public static readonly CommandFlags Flags = new("train", "instruction-tune a model (no arguments: the built-in tiny default run)",
        new[]
        {
            CliOption.Value("config", "FILE.json", "a JSON object of the settings below (Hugging Face Trainer names); flags override it"),
            CliOption.Value("resume", "DIR", "continue from a checkpoint folder (OUTPUT_DIR/checkpoint-N): the same loss sequence as an uninterrupted run"),
            CliOption.Switch("no-eval", "skip the held-out evaluation before and after training"),
            CliOption.Switch("plain", "one text line per logged step instead of the progress bar (also when output is redirected)"),
        }.Concat(TrainingConfig.Keys.Select(TrainSettingsHelp.Option)), ShortNames)
    {
        BoolValues = TrainingConfig.BoolKeys.SelectMany(k => new[] { k, k.Replace('_', '-') }).ToHashSet(),
        Usage = new[] { "train [--config FILE.json] [--resume DIR] [--SETTING VALUE]... [--no-eval] [--plain]" },
        Notes = new[]
        {
            "Settings take the Hugging Face Trainer names, as in the JSON config, and each is also accepted in kebab-case "
            + "(--max_steps or --max-steps; --name=VALUE works too). A yes/no setting given alone means true (--strict).",
            "Defaults are the built-in run's (tiny model, synthetic skills set); a --config file starts from TrainingConfig's "
            + "own where they differ. Ctrl-C or SIGTERM saves a checkpoint and exits 130.",
        },
        Examples = new[]
        {
            "train",
            "train --model_path DIR --train_data records.jsonl --eval_data heldout.jsonl --train projector,llm --learning_rate 1e-5",
            "train --config train.json --max_steps 100",
            "train --resume runs/mantis-tiny/checkpoint-600",
        },
    };

    public static CliArgs Args(string[] argv) => Flags.Parse(argv);

    /// <summary>The run's settings: the config file (or the built-in default), then each --flag over it, validated.</summary>
    public static TrainingConfig ConfigFrom(CliArgs a)
    {
        var cfg = a.Get("config") is { } file ? TrainingConfig.Load(file) : TrainingDefaults.BuiltIn();
        bool epochsGiven = false, maxStepsGiven = false;
        foreach (var key in TrainingConfig.Keys)
            foreach (var form in new[] { key, key.Replace('_', '-') })
                if (a.Get(form) is { } v)
                {
                    cfg = cfg.With(key, v, "command line");
                    epochsGiven |= key == "num_train_epochs";
                    maxStepsGiven |= key == "max_steps";
                }
        // --num_train_epochs alone means epochs: the built-in (or config file's) max_steps would otherwise win
        if (epochsGiven && !maxStepsGiven) cfg = cfg with { MaxSteps = -1 };
        cfg.Validate();
        return cfg;
    }
}
