using System.Globalization;
using System.Text.Json;

namespace MantisNative.Training;

/// <summary>Learning-rate schedules by their Hugging Face names.</summary>
public enum LrSchedulerType { Cosine, Linear, Constant }

/// <summary>
/// Everything a training run needs, with Hugging Face Trainer names (snake_case in JSON and on the command line).
/// Load from a JSON file, then apply `--name value` overrides; <see cref="Validate"/> names the bad field.
/// </summary>
public sealed record TrainingConfig
{
    /// <summary>A Hugging Face model folder to start from, or null for the built-in tiny model.</summary>
    public string? ModelPath { get; init; }
    /// <summary>Training records (file, folder or glob); null with the built-in model means the synthetic set.</summary>
    public string? TrainData { get; init; }
    /// <summary>Held-out records for evaluation.</summary>
    public string? EvalData { get; init; }
    public string? ImageRoot { get; init; }
    public string OutputDir { get; init; } = "runs/mantis-tiny";
    public double LearningRate { get; init; } = 1e-3;
    public int PerDeviceTrainBatchSize { get; init; } = 32;
    public int GradientAccumulationSteps { get; init; } = 1;
    public double NumTrainEpochs { get; init; } = 1;
    /// <summary>When positive, overrides num_train_epochs.</summary>
    public int MaxSteps { get; init; } = -1;
    public double WarmupRatio { get; init; } = 0.03;
    public LrSchedulerType LrSchedulerType { get; init; } = LrSchedulerType.Cosine;
    public double WeightDecay { get; init; }
    public double MaxGradNorm { get; init; } = 1.0;
    public double AdamBeta1 { get; init; } = 0.9;
    public double AdamBeta2 { get; init; } = 0.999;
    public double AdamEpsilon { get; init; } = 1e-8;
    public ulong Seed { get; init; } = 42;
    public int SaveSteps { get; init; } = 500;
    /// <summary>Evaluate on eval_data every N steps (0: only at the end).</summary>
    public int EvalSteps { get; init; }
    public int LoggingSteps { get; init; } = 10;
    public int MaxSeqLen { get; init; } = 2048;
    /// <summary>Parts that train: any of projector, llm, vision.</summary>
    public IReadOnlyList<string> Train { get; init; } = new[] { "projector", "llm" };
    /// <summary>Stop after this many non-finite losses in a row.</summary>
    public int MaxBadStepsInARow { get; init; } = 5;
    public bool GradientCheckpointing { get; init; }
    public bool Strict { get; init; }
    /// <summary>cpu, cuda, cuda:N, or auto (a usable GPU when there is one, else the CPU).</summary>
    public string Device { get; init; } = "auto";
    /// <summary>Examples used per evaluation pass (0: all).</summary>
    public int EvalLimit { get; init; }
    public string? SystemPrompt { get; init; }
    /// <summary>Load a model_path checkpoint whose tensors the config does not all use, with a warning (default: an error).</summary>
    public bool AllowUnusedWeights { get; init; }
    /// <summary>Let record image paths be absolute or lead out of the data folder / image_root (default: such a record is skipped).</summary>
    public bool AllowExternalImagePaths { get; init; }

    /// <summary>How AdamW keeps its moments: fp32 (default), bf16 (stochastic rounding) or 8bit (blockwise, bitsandbytes-style); see <see cref="Backends.MomentCodec"/>.</summary>
    public Backends.MomentFormat OptimizerStates { get; init; } = Backends.MomentFormat.Fp32;
    /// <summary>The dtype of the accumulated gradients of trainable weights on a GPU: F32 (default) or BF16 (half the
    /// memory; the update still runs on the fp32 master). The CPU keeps fp32 gradients.</summary>
    public Tensors.DType GradDtype { get; init; } = Tensors.DType.F32;

    /// <summary>Train LoRA / DoRA adapters on a frozen base instead of the model's own weights (null: full fine-tuning of <see cref="Train"/>).</summary>
    public LoraTrainingOptions? Lora { get; init; }

    /// <summary>The keys JSON and flags accept, with how each is applied.</summary>
    private static readonly Dictionary<string, Func<TrainingConfig, string, string, TrainingConfig>> Setters = new()
    {
        ["model_path"] = (c, v, _) => c with { ModelPath = v },
        ["train_data"] = (c, v, _) => c with { TrainData = v },
        ["eval_data"] = (c, v, _) => c with { EvalData = v },
        ["image_root"] = (c, v, _) => c with { ImageRoot = v },
        ["output_dir"] = (c, v, _) => c with { OutputDir = v },
        ["learning_rate"] = (c, v, w) => c with { LearningRate = Dbl(v, w) },
        ["per_device_train_batch_size"] = (c, v, w) => c with { PerDeviceTrainBatchSize = Int(v, w) },
        ["gradient_accumulation_steps"] = (c, v, w) => c with { GradientAccumulationSteps = Int(v, w) },
        ["num_train_epochs"] = (c, v, w) => c with { NumTrainEpochs = Dbl(v, w) },
        ["max_steps"] = (c, v, w) => c with { MaxSteps = Int(v, w) },
        ["warmup_ratio"] = (c, v, w) => c with { WarmupRatio = Dbl(v, w) },
        ["lr_scheduler_type"] = (c, v, w) => c with { LrSchedulerType = Schedule(v, w) },
        ["weight_decay"] = (c, v, w) => c with { WeightDecay = Dbl(v, w) },
        ["max_grad_norm"] = (c, v, w) => c with { MaxGradNorm = Dbl(v, w) },
        ["adam_beta1"] = (c, v, w) => c with { AdamBeta1 = Dbl(v, w) },
        ["adam_beta2"] = (c, v, w) => c with { AdamBeta2 = Dbl(v, w) },
        ["adam_epsilon"] = (c, v, w) => c with { AdamEpsilon = Dbl(v, w) },
        ["seed"] = (c, v, w) => c with { Seed = ulong.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var s) ? s : throw Bad(w, "a non-negative integer", v) },
        ["save_steps"] = (c, v, w) => c with { SaveSteps = Int(v, w) },
        ["eval_steps"] = (c, v, w) => c with { EvalSteps = Int(v, w) },
        ["logging_steps"] = (c, v, w) => c with { LoggingSteps = Int(v, w) },
        ["max_seq_len"] = (c, v, w) => c with { MaxSeqLen = Int(v, w) },
        ["train"] = (c, v, w) => c with { Train = v.Split(new[] { ',', '+', ' ' }, StringSplitOptions.RemoveEmptyEntries) },
        ["max_bad_steps_in_a_row"] = (c, v, w) => c with { MaxBadStepsInARow = Int(v, w) },
        ["gradient_checkpointing"] = (c, v, w) => c with { GradientCheckpointing = Bool(v, w) },
        ["strict"] = (c, v, w) => c with { Strict = Bool(v, w) },
        ["device"] = (c, v, _) => c with { Device = v },
        ["eval_limit"] = (c, v, w) => c with { EvalLimit = Int(v, w) },
        ["system_prompt"] = (c, v, _) => c with { SystemPrompt = v },
        ["allow_unused_weights"] = (c, v, w) => c with { AllowUnusedWeights = Bool(v, w) },
        ["allow_external_image_paths"] = (c, v, w) => c with { AllowExternalImagePaths = Bool(v, w) },
        ["optimizer_states"] = (c, v, w) => c with { OptimizerStates = Training.OptimizerStates.Parse(v, w) },
        ["grad_dtype"] = (c, v, w) => c with
        {
            GradDtype = v.Trim().ToLowerInvariant() switch
            {
                "fp32" or "f32" or "float32" => Tensors.DType.F32,
                "bf16" or "bfloat16" => Tensors.DType.BF16,
                _ => throw Bad(w, "fp32 or bf16", v),
            },
        },
        ["lora"] = (c, v, w) => c with { Lora = v.Trim().ToLowerInvariant() is "false" or "off" or "none" ? null : LoraTrainingOptions.Parse(v, w) },
    };

    public static IEnumerable<string> Keys => Setters.Keys;

    /// <summary>The AdamW this config asks for (betas, eps, moment format; the seed keys bf16 moments' stochastic rounding).</summary>
    public AdamW NewOptimizer() => new()
    {
        Beta1 = AdamBeta1, Beta2 = AdamBeta2, Eps = AdamEpsilon, States = OptimizerStates, Seed = (uint)Seed ^ (uint)(Seed >> 32),
    };

    /// <summary>The keys that are yes/no settings (the CLI also takes them as switches: `--strict` alone means true).</summary>
    public static IReadOnlyList<string> BoolKeys { get; } = new[] { "gradient_checkpointing", "strict", "allow_unused_weights", "allow_external_image_paths" };

    /// <summary>Sets one field by its snake_case (or kebab-case) name; <paramref name="where"/> names the source in errors.</summary>
    public TrainingConfig With(string key, string value, string where)
    {
        string k = key.Replace('-', '_');
        if (!Setters.TryGetValue(k, out var set))
            throw new MantisException($"{where}: unknown setting '{key}' (known: {string.Join(", ", Setters.Keys.Order())})");
        return set(this, value, $"{where}: {k}");
    }

    /// <summary>Reads a JSON object of settings; unknown keys and wrong types are errors naming the file and key.</summary>
    public static TrainingConfig Load(string path)
    {
        if (!File.Exists(path)) throw new MantisException($"{path}: training config not found");
        JsonDocument doc;
        var bytes = IO.InputFile.ReadAllBytes(path, "training config");
        Utf8Input.EnsureValid(bytes, path, "training config");
        try { doc = JsonDocument.Parse(bytes); }
        catch (JsonException e) { throw new MantisException($"{path}: not valid JSON: {e.Message}"); }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new MantisException($"{path}: the training config must be a JSON object");
            var c = new TrainingConfig();
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                string value = p.Value.ValueKind switch
                {
                    JsonValueKind.String => p.Value.GetString()!,
                    JsonValueKind.Number => p.Value.GetRawText(),
                    JsonValueKind.True => "true",
                    JsonValueKind.False => "false",
                    JsonValueKind.Array => string.Join(",", p.Value.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? e.GetString() : e.GetRawText())),
                    JsonValueKind.Null => throw new MantisException($"{path}: {p.Name} is null"),
                    _ => throw new MantisException($"{path}: {p.Name} has an unsupported JSON type {p.Value.ValueKind}"),
                };
                c = c.With(p.Name, value, path);
            }
            return c;
        }
    }

    /// <summary>Checks value ranges; throws naming the first bad field.</summary>
    public TrainingConfig Validate()
    {
        void Need(bool ok, string field, string what) { if (!ok) throw new MantisException($"training config: {field} {what}"); }
        Need(LearningRate > 0 && double.IsFinite(LearningRate), "learning_rate", $"must be positive, got {LearningRate}");
        Need(PerDeviceTrainBatchSize >= 1, "per_device_train_batch_size", $"must be at least 1, got {PerDeviceTrainBatchSize}");
        Need(GradientAccumulationSteps >= 1, "gradient_accumulation_steps", $"must be at least 1, got {GradientAccumulationSteps}");
        Need(NumTrainEpochs > 0 && double.IsFinite(NumTrainEpochs), "num_train_epochs", $"must be positive, got {NumTrainEpochs}");
        Need(MaxSteps == -1 || MaxSteps > 0, "max_steps", $"must be positive, or -1 to train num_train_epochs, got {MaxSteps}");
        Need(WarmupRatio is >= 0 and < 1, "warmup_ratio", $"must be in [0, 1), got {WarmupRatio}");
        Need(WeightDecay >= 0, "weight_decay", $"must be >= 0, got {WeightDecay}");
        Need(MaxGradNorm >= 0, "max_grad_norm", $"must be >= 0 (0 disables clipping), got {MaxGradNorm}");
        Need(AdamBeta1 is >= 0 and < 1, "adam_beta1", $"must be in [0, 1), got {AdamBeta1}");
        Need(AdamBeta2 is >= 0 and < 1, "adam_beta2", $"must be in [0, 1), got {AdamBeta2}");
        Need(AdamEpsilon > 0, "adam_epsilon", $"must be positive, got {AdamEpsilon}");
        Need(SaveSteps >= 0 && EvalSteps >= 0 && LoggingSteps >= 0, "save_steps/eval_steps/logging_steps", "must be >= 0");
        Need(MaxSeqLen >= 8, "max_seq_len", $"must be at least 8, got {MaxSeqLen}");
        Need(MaxBadStepsInARow >= 1, "max_bad_steps_in_a_row", "must be at least 1");
        foreach (var part in Train)
            Need(part is "projector" or "llm" or "vision", "train", $"has '{part}'; use projector, llm and/or vision");
        Need(Train.Count > 0, "train", "must name at least one part (projector, llm, vision)");
        // the form only; whether the machine has that device is checked when the run opens it (TrainingDevices)
        Need(Device.Trim().Equals("auto", StringComparison.OrdinalIgnoreCase) || IsDeviceName(Device), "device", $"must be cpu, cuda, cuda:N or auto, got '{Device}'");
        return this;
    }

    private static bool IsDeviceName(string d)
    {
        try { Tensors.Device.Parse(d); return true; }
        catch (MantisException) { return false; }
    }

    private static Exception Bad(string where, string what, string v) => new MantisException($"{where} expects {what}, got '{v}'");
    private static int Int(string v, string w) =>
        int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) ? i
        // a whole number too big for an int is out of range, not "not an integer"
        : double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d) && Math.Floor(d) == d && Math.Abs(d) > int.MaxValue
            ? throw new MantisException($"{w} is out of range: {v} (at most {int.MaxValue})")
            : throw Bad(w, "an integer", v);
    private static double Dbl(string v, string w) => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : throw Bad(w, "a number", v);
    private static bool Bool(string v, string w) => v.ToLowerInvariant() switch { "true" or "1" or "yes" => true, "false" or "0" or "no" => false, _ => throw Bad(w, "true or false", v) };
    private static LrSchedulerType Schedule(string v, string w) => v switch
    {
        "cosine" => LrSchedulerType.Cosine,
        "linear" => LrSchedulerType.Linear,
        "constant" or "constant_with_warmup" => LrSchedulerType.Constant,
        _ => throw Bad(w, "cosine, linear or constant", v),
    };
}
