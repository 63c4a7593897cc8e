using MantisNative.IO;
using MantisNative.Models;
using MantisNative.Tensors;

namespace MantisNative.Training;

/// <summary>
/// Writes a training checkpoint folder: a Hugging Face model folder (weights in F32, a GPU run's fp32 masters, so a resume is exact) plus
/// trainer state and optimizer moments, and whatever the caller adds (tokenizer, processor config). Everything
/// goes into a temporary folder that is renamed into place at the end, so a crash never leaves half a checkpoint.
/// </summary>
public static class CheckpointWriter
{
    public static void Write(string dir, MantisModel model, TrainerState state, AdamW optimizer, Action<string>? addFiles)
    {
        string full = Path.GetFullPath(dir);
        string tmp = full + $".tmp-{Environment.ProcessId}";
        try
        {
            if (Directory.Exists(tmp)) Directory.Delete(tmp, true);
            Directory.CreateDirectory(tmp);
            // a GPU run's fp32 masters, not its BF16 weights: the resume (on any device) continues from the exact state
            ModelFiles.Save(model, tmp, saveAllAs: DType.F32, values: p => optimizer.SeparateMaster(p.Name));
            state.Save(tmp, optimizer);
            addFiles?.Invoke(tmp);
            if (Directory.Exists(full)) Directory.Delete(full, true);
            Directory.Move(tmp, full);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or MantisException)
        {
            StaleTemporaries.TryDelete(tmp); // a full disk must not leave half a checkpoint behind
            if (e is MantisException) throw;
            throw new MantisException($"cannot write checkpoint {full}: {e.Message}");
        }
    }
}
