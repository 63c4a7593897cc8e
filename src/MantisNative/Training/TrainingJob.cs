using MantisNative.Data.Chat;
using MantisNative.Data.Images;
using MantisNative.Data.Loading;
using MantisNative.Data.Records;
using MantisNative.Data.Synthetic;
using MantisNative.Data.Tokenization;
using MantisNative.IO;
using MantisNative.Models;
using MantisNative.Models.Config;
using MantisNative.Nn;
using MantisNative.Nn.Lora;

namespace MantisNative.Training;

/// <summary>
/// A whole training job from code: prepares data, tokenizer and model (a Hugging Face folder, or the built-in
/// tiny model on the synthetic skills set, generated when missing), trains with progress events and
/// cancellation, and leaves checkpoints plus a final model folder under output_dir.
/// </summary>
public sealed class TrainingJob : IDisposable
{
    public const string DefaultDataDir = "data/synthetic";
    public const string FinalFolder = "model";

    public TrainingConfig Config { get; }
    public MantisModel Model { get; }
    public ByteLevelBpeTokenizer Tokenizer { get; }
    public ImageProcessor Images { get; }
    public IReadOnlyList<InstructRecord> TrainRecords { get; }
    public RecordReport TrainReport { get; }
    public string? EvalData { get; }
    public int TotalSteps { get; }
    public Trainer Trainer { get; }
    private readonly DataLoader _loader;

    /// <summary>The adapters a LoRA run trains (null in full fine-tuning).</summary>
    public LoraAdapterSet? Lora { get; }
    /// <summary>A LoRA run's base model folder (model_path, or output_dir/base-model for the built-in model).</summary>
    public string? LoraBaseFolder { get; }

    /// <summary>Status lines while preparing (data generation, tokenizer training, record loading).</summary>
    public static event Action<string>? Status;

    private TrainingJob(TrainingConfig cfg, MantisModel model, ByteLevelBpeTokenizer tok, ImageProcessor images,
        IReadOnlyList<InstructRecord> records, RecordReport report, string? evalData, TrainerState? resume, AdamW? opt,
        LoraAdapterSet? lora = null, string? loraBase = null)
    {
        Config = cfg;
        Lora = lora;
        RemovedTemporaries = StaleTemporaries.Remove(cfg.OutputDir);
        Model = model;
        Tokenizer = tok;
        Images = images;
        TrainRecords = records;
        TrainReport = report;
        EvalData = evalData;
        var chat = new Llama3ChatFormat(tok, new ChatFormatOptions
        {
            SystemPrompt = cfg.SystemPrompt, ImageTokenLength = model.Config.ImageTokensPerImage, MaxLength = cfg.MaxSeqLen,
        });
        var encoder = new ExampleEncoder(chat, images);
        var collator = new Collator(tok.TokenToId("<|pad|>") ?? model.Config.PadTokenId ?? 0, model.Config.Vision.ImageSize, model.Config.Vision.NumChannels);
        int perStep = cfg.PerDeviceTrainBatchSize * cfg.GradientAccumulationSteps;
        TotalSteps = resume?.TotalSteps ?? (cfg.MaxSteps > 0 ? cfg.MaxSteps : StepsForEpochs(cfg, records.Count, perStep));
        _loader = new DataLoader(records, encoder, collator, cfg.PerDeviceTrainBatchSize, cfg.Seed, resume?.Data ?? default);
        LoraBaseFolder = loraBase;
        Trainer = new Trainer(cfg, model, _loader, TotalSteps, resume, opt, lora)
        {
            WriteCheckpoint = lora is null
                ? (dir, t) => CheckpointWriter.Write(dir, t.Model, t.State, t.Optimizer, WriteSideFiles)
                : (dir, t) => LoraTraining.WriteCheckpoint(dir, lora, cfg.Lora!, loraBase!, t.State, t.Optimizer, WriteSideFiles),
        };
        if (Trainer.Device.IsCuda)
        {
            try
            {
                int imagesPerExample = Math.Max(1, records.Max(r => r.Images.Count));
                MemoryPlan = DeviceMemoryPlan.ForRun(model, cfg, imagesPerExample);
                MemoryPlan.EnsureFits(cfg, c => DeviceMemoryPlan.ForRun(model, c, imagesPerExample));
            }
            catch
            {
                Trainer.Dispose();
                _loader.Dispose();
                throw;
            }
        }
    }

    /// <summary>A GPU run's memory plan at the configured batch and length (null on the CPU).</summary>
    public DeviceMemoryPlan? MemoryPlan { get; }

    /// <summary>Tokenizer and preprocessor files that travel with every saved model folder.</summary>
    public void WriteSideFiles(string folder) => WriteSideFiles(folder, Config, Tokenizer, Images);

    private static void WriteSideFiles(string folder, TrainingConfig cfg, ByteLevelBpeTokenizer tok, ImageProcessor images)
    {
        if (cfg.SystemPrompt is not null) new Inference.ChatConfig(cfg.SystemPrompt).Save(folder);
        tok.SaveToDirectory(folder);
        images.Config.Save(Path.Combine(folder, "preprocessor_config.json"));
    }

    private static int StepsForEpochs(TrainingConfig cfg, int records, int perStep)
    {
        double steps = Math.Ceiling(cfg.NumTrainEpochs * records / perStep);
        if (steps > int.MaxValue)
            throw new MantisException($"training config: num_train_epochs {cfg.NumTrainEpochs} over {records} records is {steps:G4} steps, out of range (set max_steps)");
        return Math.Max(1, (int)steps);
    }

    private static Inference.ModelBundle LoadBundle(string dir, TrainingConfig cfg) =>
        Inference.ModelBundle.Load(dir, cfg.SystemPrompt, new IO.ModelLoadOptions { AllowUnusedWeights = cfg.AllowUnusedWeights, Warn = Console.Error.WriteLine, Weights = LoraOnDevice.LoadFormat(cfg) });

    /// <summary>Temporary folders of killed or failed writes found in output_dir at start and removed.</summary>
    public IReadOnlyList<string> RemovedTemporaries { get; }

    /// <summary>Sets everything up (may generate the synthetic set and train a tokenizer).</summary>
    public static TrainingJob Create(TrainingConfig cfg, string? resumeFrom = null)
    {
        cfg.Validate();
        LoraOnDevice.Resolve(cfg, out _);   // a GPU that is not there (or a LoRA base it cannot hold) is refused before any data work
        if (resumeFrom is not null) return Resume(cfg, resumeFrom);
        if (cfg.ModelPath is null) return CreateBuiltIn(cfg);
        if (cfg.TrainData is null) throw new MantisException("train_data is required when starting from model_path");
        var bundle = LoadBundle(cfg.ModelPath, cfg);
        var (records, report) = ReadRecords(cfg.TrainData, cfg);
        var lora = cfg.Lora is null ? null : LoraTraining.AttachFresh(bundle.Model, cfg.Lora, cfg.Seed);
        return new TrainingJob(cfg, bundle.Model, bundle.Tokenizer, bundle.ImageProcessor, records, report, cfg.EvalData, null, null, lora, cfg.ModelPath);
    }

    private static TrainingJob Resume(TrainingConfig cfg, string dir)
    {
        if (!Directory.Exists(dir)) throw new MantisException($"{dir}: checkpoint folder not found");
        if (LoraTraining.IsLoraCheckpoint(dir)) return ResumeLora(cfg, dir);
        // a checkpoint is a model folder: the same loader (and checks) as eval and chat
        var bundle = LoadBundle(dir, cfg);
        var opt = cfg.NewOptimizer();
        var state = TrainerState.Load(dir, opt);
        string trainData = cfg.TrainData ?? (cfg.ModelPath is null ? Path.Combine(DefaultDataDir, "train.jsonl") : throw new MantisException("train_data is required to resume"));
        var (records, report) = ReadRecords(trainData, cfg);
        string? eval = cfg.EvalData ?? (cfg.ModelPath is null ? Path.Combine(DefaultDataDir, "heldout.jsonl") : null);
        return new TrainingJob(cfg, bundle.Model, bundle.Tokenizer, bundle.ImageProcessor, records, report, eval, state, opt);
    }

    // a LoRA checkpoint holds the adapter only: the base comes from model_path or the folder the run recorded
    private static TrainingJob ResumeLora(TrainingConfig cfg, string dir)
    {
        var (options, recordedBase) = LoraTraining.ReadRunFile(dir);
        string baseFolder = cfg.ModelPath ?? recordedBase;
        cfg = cfg with { Lora = options };
        var bundle = LoadBundle(baseFolder, cfg);
        var opt = cfg.NewOptimizer();
        var state = TrainerState.Load(dir, opt);
        var lora = IO.Peft.LoraAdapterFiles.Attach(bundle.Model, IO.Peft.PeftAdapter.Load(dir), cfg.Seed);
        bool builtIn = cfg.ModelPath is null && Path.GetFileName(Path.TrimEndingDirectorySeparator(recordedBase)) == LoraTraining.BuiltInBaseFolder;
        string trainData = cfg.TrainData ?? (builtIn ? Path.Combine(DefaultDataDir, "train.jsonl") : throw new MantisException("train_data is required to resume"));
        var (records, report) = ReadRecords(trainData, cfg);
        string? eval = cfg.EvalData ?? (builtIn ? Path.Combine(DefaultDataDir, "heldout.jsonl") : null);
        return new TrainingJob(cfg, bundle.Model, bundle.Tokenizer, bundle.ImageProcessor, records, report, eval, state, opt, lora, baseFolder);
    }

    private static (List<InstructRecord>, RecordReport) ReadRecords(string path, TrainingConfig cfg)
    {
        Status?.Invoke($"reading records from {path}");
        var records = RecordReader.ReadAll(path, out var report, new RecordReaderOptions { Strict = cfg.Strict, ImageRoot = cfg.ImageRoot, ImageCheck = ImageCheckMode.Header, AllowExternalImagePaths = cfg.AllowExternalImagePaths });
        if (records.Count == 0) throw new MantisException($"{path}: no usable training record ({report.Skipped} skipped)");
        return (records, report);
    }

    private static TrainingJob CreateBuiltIn(TrainingConfig cfg)
    {
        string dataDir = cfg.TrainData is null ? DefaultDataDir : (Directory.Exists(cfg.TrainData) ? cfg.TrainData : Path.GetDirectoryName(cfg.TrainData)!);
        string trainFile = cfg.TrainData is not null && File.Exists(cfg.TrainData) ? cfg.TrainData : Path.Combine(dataDir, "train.jsonl");
        if (cfg.TrainData is null)
        {
            // reuses a complete set made with the same options, makes a missing one, and refuses a folder that
            // holds something else (it never overwrites files it did not write)
            SyntheticSetInfo.EnsureExists(dataDir, new SyntheticOptions { Seed = 1234 }, Status);
        }
        else if (!File.Exists(trainFile)) throw new MantisException($"{cfg.TrainData}: no training records found (expected a records file or a folder with train.jsonl)");
        var (records, report) = ReadRecords(trainFile, cfg);
        Status?.Invoke("training a byte-level BPE tokenizer on the training texts");
        // the texts as the chat format will encode them, so the merges fit the wrappers and headers too
        var tok = BpeTrainer.Train(ChatCorpus.TextRuns(records, cfg.SystemPrompt), merges: 300);
        int imageId = tok.TokenToId("<image>")!.Value, padId = tok.TokenToId("<|pad|>")!.Value;
        int bos = tok.TokenToId("<|begin_of_text|>")!.Value, eos = tok.TokenToId("<|eot_id|>")!.Value;
        var config = TinyModelConfig.Create(tok.VocabSize, imageId, padId, bos, eos);
        var model = new MantisModel(config, new RandomWeights(cfg.Seed));
        var images = ImageProcessor.ForVisionConfig(config.Vision.HfModelType, config.Vision.ImageSize);
        string? eval = cfg.EvalData ?? (File.Exists(Path.Combine(dataDir, "heldout.jsonl")) ? Path.Combine(dataDir, "heldout.jsonl") : null);
        if (cfg.Lora is null) return new TrainingJob(cfg, model, tok, images, records, report, eval, null, null);
        // a LoRA run needs its base as a folder (to resume and merge on): the random base is written once, then
        // loaded back like any base, its matrices frozen in the run's format
        string baseFolder = Path.Combine(cfg.OutputDir, LoraTraining.BuiltInBaseFolder);
        CheckpointWriter.WriteAtomically(baseFolder, tmp =>
        {
            ModelFiles.Save(model, tmp);
            WriteSideFiles(tmp, cfg, tok, images);
        });
        // (a GPU run keeps the fp32 model: it moves to the device as bf16)
        if (LoraOnDevice.LoadFormat(cfg) is { } format && format != Tensors.WeightFormat.F32)
        {
            model.Dispose();
            model = LoadBundle(baseFolder, cfg).Model;
        }
        return new TrainingJob(cfg, model, tok, images, records, report, eval, null, null, LoraTraining.AttachFresh(model, cfg.Lora, cfg.Seed), baseFolder);
    }

    /// <summary>Trains to the end (or cancellation), then writes the final model folder.</summary>
    public TrainingOutcome Run(CancellationToken cancel = default)
    {
        var outcome = Trainer.Run(cancel);
        // stopped before its first step: nothing was trained, so nothing is written as if it had been
        if (Trainer.StepsThisRun > 0 || outcome != TrainingOutcome.Cancelled) SaveFinal();
        return outcome;
    }

    /// <summary>output_dir/model: a Hugging Face folder for eval, chat and transformers (a LoRA run: output_dir/adapter, and output_dir/model with merge=true).</summary>
    public string SaveFinal()
    {
        if (Lora is not null) return LoraTraining.SaveFinal(Config.OutputDir, Lora, Config.Lora!, LoraBaseFolder!, WriteSideFiles, Trainer.Optimizer);
        string dir = Path.Combine(Config.OutputDir, FinalFolder);
        string tmp = dir + $".tmp-{Environment.ProcessId}";
        if (Directory.Exists(tmp)) Directory.Delete(tmp, true);
        try
        {
            ModelFiles.Save(Model, tmp, values: p => Trainer.Optimizer.SeparateMaster(p.Name));
            WriteSideFiles(tmp);
        }
        catch
        {
            StaleTemporaries.TryDelete(tmp);
            throw;
        }
        if (Directory.Exists(dir)) Directory.Delete(dir, true);
        Directory.Move(tmp, dir);
        return dir;
    }

    /// <summary>Greedy answers on the held-out records (eval_data), per family; null when there is no eval data.</summary>
    public Evaluation.EvalReport? EvaluateHeldOut(string? predictionsPath, Action<Evaluation.EvalProgress>? progress = null)
    {
        if (EvalData is null) return null;
        var records = Evaluation.EvalData.Read(EvalData, Config.EvalLimit > 0 ? Config.EvalLimit : null, out _);
        var bundle = Inference.ModelBundle.Create(Model, Tokenizer, Images, Config.SystemPrompt);
        return Evaluation.Evaluator.Run(bundle, records, new Evaluation.EvalOptions
        {
            ChanceByFamily = Evaluation.EvalData.LoadChance(EvalData), PredictionsPath = predictionsPath, Progress = progress,
        });
    }

    public void Dispose()
    {
        Trainer.Dispose();
        _loader.Dispose();
        Lora?.Dispose();
        Model.Dispose();
    }
}
