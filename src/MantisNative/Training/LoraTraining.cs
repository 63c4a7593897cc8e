using System.Text.Json;
using MantisNative.IO;
using MantisNative.IO.Peft;
using MantisNative.Models;
using MantisNative.Nn.Lora;

namespace MantisNative.Training;

/// <summary>
/// The files of a LoRA run. A checkpoint holds only the adapter (PEFT's layout, fp32 so a resume is exact), the
/// trainer state with the adapters' moments, <see cref="RunFile"/> (the run's LoRA options and its base model folder)
/// and the tokenizer / processor files; the final adapter goes to output_dir/adapter, and with merge=true the merged
/// model to output_dir/model. The built-in tiny model has no folder of its own, so its random base is written once to
/// output_dir/base-model (a resume, a merge and PEFT's base_model_name_or_path point at it).
/// </summary>
public static class LoraTraining
{
    public const string RunFile = "lora_run.json";
    public const string AdapterFolder = "adapter";
    public const string BuiltInBaseFolder = "base-model";

    /// <summary>True when <paramref name="dir"/> is a LoRA checkpoint (it holds an adapter, not a model).</summary>
    public static bool IsLoraCheckpoint(string dir) => File.Exists(Path.Combine(dir, PeftAdapterConfig.FileName));

    /// <summary>Fresh adapters for the run's options on <paramref name="model"/> (its base weights frozen).</summary>
    public static LoraAdapterSet AttachFresh(MantisModel model, LoraTrainingOptions options, ulong seed) =>
        LoraAdapterFiles.AttachFresh(model, options.Settings, seed);

    public static void WriteCheckpoint(string dir, LoraAdapterSet lora, LoraTrainingOptions options, string baseFolder,
        TrainerState state, AdamW optimizer, Action<string>? addFiles) =>
        CheckpointWriter.WriteAtomically(dir, tmp =>
        {
            // a GPU run's adapters are BF16 copies of the optimizer's fp32 masters: the masters are saved (an exact resume)
            LoraAdapterFiles.Save(lora, tmp, Path.GetFullPath(baseFolder), masters: optimizer.SeparateMaster);
            WriteRunFile(tmp, options, baseFolder);
            state.Save(tmp, optimizer);
            addFiles?.Invoke(tmp);
        });

    /// <summary>output_dir/adapter in PEFT's layout (and output_dir/model merged when the options ask); returns the adapter folder.</summary>
    public static string SaveFinal(string outputDir, LoraAdapterSet lora, LoraTrainingOptions options, string baseFolder, Action<string>? addFiles, AdamW? optimizer = null)
    {
        string dir = Path.Combine(outputDir, AdapterFolder);
        CheckpointWriter.WriteAtomically(dir, tmp =>
        {
            LoraAdapterFiles.Save(lora, tmp, Path.GetFullPath(baseFolder), masters: optimizer is null ? null : optimizer.SeparateMaster);
            WriteRunFile(tmp, options, baseFolder);
            addFiles?.Invoke(tmp);
        });
        if (options.WriteMerged)
        {
            string merged = Path.Combine(outputDir, TrainingJob.FinalFolder);
            CheckpointWriter.WriteAtomically(merged, tmp => AdapterMerge.MergeFolder(baseFolder, dir, tmp, overwrite: true));
        }
        return dir;
    }

    /// <summary>The LoRA options and base folder a checkpoint's run used.</summary>
    public static (LoraTrainingOptions Options, string BaseFolder) ReadRunFile(string dir)
    {
        string path = Path.Combine(dir, RunFile);
        if (!File.Exists(path)) throw new MantisException($"{dir}: a LoRA checkpoint without {RunFile} (which records its base model and options)");
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            var r = doc.RootElement;
            var options = LoraTrainingOptions.Parse(r.GetProperty("lora").GetString() ?? "", path);
            string baseFolder = r.GetProperty("base_model").GetString() ?? throw new MantisException($"{path}: base_model is null");
            return (options, baseFolder);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new MantisException($"{path}: damaged LoRA run file: {e.Message}");
        }
    }

    private static void WriteRunFile(string folder, LoraTrainingOptions options, string baseFolder)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("lora", options.ToString());
            w.WriteString("base_model", Path.GetFullPath(baseFolder));
            w.WriteEndObject();
        }
        File.WriteAllBytes(Path.Combine(folder, RunFile), ms.ToArray());
    }
}
