using System.Globalization;
using System.Reflection;
using MantisNative.Training;

namespace MantisNative.Cli;

/// <summary>
/// The help side of train's settings: a placeholder and a one-line meaning for every TrainingConfig key, and each
/// key's default read from TrainingConfig itself (the built-in run's value, and a config file's start where that
/// differs), so the help shows what the run would use, not a copy. A key without an entry here makes
/// <see cref="Option"/> throw, which CliHelpTests turn into a failure naming it.
/// </summary>
public static class TrainSettingsHelp
{
    private static readonly Dictionary<string, (string Placeholder, string Meaning)> Entries = new()
    {
        ["model_path"] = ("DIR", "Hugging Face model folder to start from (none: the built-in tiny model)"),
        ["train_data"] = ("PATH", "training records: file, folder or glob (none, with the built-in model: the synthetic skills set)"),
        ["eval_data"] = ("PATH", "held-out records, evaluated before and after training"),
        ["image_root"] = ("DIR", "folder image paths are resolved under (default: each records file's folder)"),
        ["output_dir"] = ("DIR", "checkpoints, metrics.jsonl, the loss curve and the final model"),
        ["learning_rate"] = ("LR", "peak learning rate"),
        ["per_device_train_batch_size"] = ("N", "examples per micro-batch"),
        ["gradient_accumulation_steps"] = ("N", "micro-batches per optimizer step"),
        ["num_train_epochs"] = ("N", "passes over the data (used when max_steps is -1; given alone it wins over the built-in max_steps)"),
        ["max_steps"] = ("N", "optimizer steps; -1 trains num_train_epochs"),
        ["warmup_ratio"] = ("R", "fraction of the steps the learning rate warms up over, in [0, 1)"),
        ["lr_scheduler_type"] = ("cosine|linear|constant", "learning-rate schedule after warmup"),
        ["weight_decay"] = ("W", "AdamW weight decay (never on norms and biases)"),
        ["max_grad_norm"] = ("N", "clip the gradients' global norm to this; 0 disables clipping"),
        ["adam_beta1"] = ("B", "AdamW beta1"),
        ["adam_beta2"] = ("B", "AdamW beta2"),
        ["adam_epsilon"] = ("EPS", "AdamW epsilon"),
        ["seed"] = ("S", "random seed (same seed and config: the same loss sequence on the CPU)"),
        ["save_steps"] = ("N", "write a checkpoint every N steps; 0: only at the end"),
        ["eval_steps"] = ("N", "evaluate on eval_data every N steps; 0: only at the end"),
        ["logging_steps"] = ("N", "log a metrics line every N steps"),
        ["max_seq_len"] = ("N", "longest sequence in tokens; a record that would not fit without cutting an image is skipped"),
        ["train"] = ("PARTS", "parts that train, any of projector, llm, vision (comma-separated; stage 1: projector, stage 2: projector,llm)"),
        ["max_bad_steps_in_a_row"] = ("N", "stop after this many non-finite losses in a row (each one skips its step)"),
        ["gradient_checkpointing"] = ("[BOOL]", "recompute activations in the backward (every text layer; vision too when it trains)"),
        ["strict"] = ("[BOOL]", "a bad record is an error instead of being skipped"),
        ["device"] = ("cpu|cuda|cuda:N|auto", "where to train; auto: the GPU when a driver, a device and NVRTC are there, else the CPU"),
        ["eval_limit"] = ("N", "examples per evaluation pass; 0: all"),
        ["system_prompt"] = ("TEXT", "system turn of every example (none: no system turn)"),
        ["allow_unused_weights"] = ("[BOOL]", "load a model_path whose tensors the config does not all use, with a warning"),
        ["allow_external_image_paths"] = ("[BOOL]", "let image paths be absolute or lead out of the data folder / image_root (else the record is skipped)"),
        ["optimizer_states"] = ("fp32|bf16|8bit", "how AdamW keeps its moments"),
        ["grad_dtype"] = ("fp32|bf16", "dtype of a GPU run's accumulated gradients (the update still runs on the fp32 master)"),
        ["lora"] = ("SPEC", "train LoRA/DoRA adapters on a frozen base: r=128,alpha=256,dropout=0.05[,targets=REGEX][,dora][,rslora][,base=fp32|bf16|f16|int8|nf4][,merge] (docs/lora.md); off: full fine-tuning"),
    };

    /// <summary>The built-in run's settings (no --config) and a config file's starting point.</summary>
    private static readonly TrainingConfig BuiltIn = TrainingDefaults.BuiltIn(), FileStart = new();

    /// <summary>One key as train's table lists it: snake_case name, its kebab-case twin, placeholder, meaning, defaults.</summary>
    public static CliOption Option(string key)
    {
        if (!Entries.TryGetValue(key, out var e))
            throw new InvalidOperationException($"train --{key} has no help text: add it to TrainSettingsHelp.Entries");
        string? builtIn = Show(BuiltIn, key), file = Show(FileStart, key);
        var kebab = key.Replace('_', '-');
        return new CliOption(key, e.Placeholder, e.Meaning)
        {
            // an unset path or text has no default to show: the meaning says what its absence does
            Default = builtIn == file ? builtIn : $"{builtIn ?? "none"}; with --config: {file ?? "none"}",
            Twins = kebab == key ? Array.Empty<string>() : new[] { kebab },
        };
    }

    /// <summary>Keys that have help text but are no longer settings (stale entries; CliHelpTests wants none).</summary>
    public static IEnumerable<string> Stale => Entries.Keys.Except(TrainingConfig.Keys);

    /// <summary>A key's value in <paramref name="config"/> as the command line would spell it (null: not set).</summary>
    public static string? Show(TrainingConfig config, string key)
    {
        var value = Property(key).GetValue(config);
        return value switch
        {
            null => key == "lora" ? "off" : null,
            string s => s,
            bool b => b ? "true" : "false",
            double d => d.ToString("R", CultureInfo.InvariantCulture).Replace("E", "e"),
            Tensors.DType t => t == Tensors.DType.F32 ? "fp32" : t.ToString().ToLowerInvariant(),
            Enum en => en.ToString().ToLowerInvariant(),
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            IEnumerable<string> parts => string.Join(",", parts),
            var other => other.ToString() ?? "",
        };
    }

    /// <summary>The TrainingConfig property a key sets: the key in PascalCase (max_bad_steps_in_a_row -> MaxBadStepsInARow).</summary>
    public static PropertyInfo Property(string key)
    {
        var name = string.Concat(key.Split('_').Select(w => char.ToUpperInvariant(w[0]) + w[1..]));
        return typeof(TrainingConfig).GetProperty(name, BindingFlags.Public | BindingFlags.Instance)
            ?? throw new InvalidOperationException($"train --{key}: TrainingConfig has no property {name} to read its default from");
    }
}
