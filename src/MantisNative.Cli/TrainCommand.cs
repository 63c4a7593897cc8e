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
    public const string Help = "instruction-tune a model (no arguments: the built-in tiny default run)";

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

    /// <summary>Every Hugging Face key in snake_case and kebab-case, the config file and resume folder; the short names as aliases.</summary>
    public static readonly CommandFlags Flags = new(
        TrainingConfig.Keys.SelectMany(k => new[] { k, k.Replace('_', '-') }).Distinct().Concat(new[] { "config", "resume" }).ToArray(),
        new[] { "no-eval", "plain" }, ShortNames)
    {
        BoolValues = TrainingConfig.BoolKeys.SelectMany(k => new[] { k, k.Replace('_', '-') }).ToHashSet(),
    };

    public static CliArgs Args(string[] argv) => Flags.Parse("train", argv);

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
