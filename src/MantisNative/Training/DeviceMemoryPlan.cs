using System.Globalization;
using MantisNative.Backends.Cuda;
using MantisNative.Models;
using MantisNative.Nn.Lora;
using MantisNative.Tensors;

namespace MantisNative.Training;

/// <summary>
/// What a training run on a GPU will hold, before the first step: BF16 weights, fp32
/// masters, both fp32 AdamW moments and fp32 gradients of the trainable weights (of a LoRA run: the adapters only,
/// whose forward intermediates are counted apart), activations of the largest
/// micro-batch (<see cref="ActivationMemoryPlan"/> in BF16, with or without gradient checkpointing), the current and
/// the prefetched batch's pixels, and the cuBLASLt workspace; beside the card's free memory (cuMemGetInfo). An estimate
/// (the activation count is a per-layer formula, not a trace): on the emulated device the allocator's measured peak is
/// within 25 % of it (EmulatedTrainingTests).
/// </summary>
public sealed record DeviceMemoryPlan(IReadOnlyList<(string What, double Bytes)> Parts, long AvailableBytes, long TotalBytes, string Where)
{
    public double Bytes => Parts.Sum(p => p.Bytes);

    /// <summary>The plan for <paramref name="model"/> (trainable parts set) at micro-batch
    /// <paramref name="batch"/> x <paramref name="tokens"/> with <paramref name="images"/> images.</summary>
    public static DeviceMemoryPlan For(MantisModel model, TrainingConfig cfg, int batch, int tokens, int images, long availableBytes = 0, long totalBytes = 0, string where = "")
    {
        var c = model.Config;
        // the parts cfg.Train names (not the model's current flags), so a plan can be redone for a changed config;
        // a LoRA run trains its adapters only: they alone have masters, moments and gradients (and BF16 copies)
        var adapters = cfg.Lora is null ? new List<LoraLayer>() : model.Parameters.Linears.Select(l => l.Adapter).OfType<LoraLayer>().ToList();
        double adapterValues = adapters.Sum(a => (double)a.A.Numel + a.B.Numel + (a.Magnitude?.Numel ?? 0));
        double trainable = cfg.Lora is not null ? adapterValues : model.Parameters.All.Where(p => cfg.Train.Contains(p.Part switch
            {
                ModelPart.Vision => "vision",
                ModelPart.Projector => "projector",
                _ => "llm",
            })).Select(p => p.Tensor).Distinct().Sum(t => (double)t.Numel);
        double largestTrainable = cfg.Lora is not null
            ? adapters.Select(a => (double)Math.Max(a.A.Numel, a.B.Numel)).DefaultIfEmpty(0).Max()
            : ModelMemoryPlan.For(c).LargestTensor;
        double pixels = (double)images * c.Vision.NumChannels * c.Vision.ImageSize * c.Vision.ImageSize * 2;
        var parts = new List<(string, double)>
        {
            // the model's own count (ModelMemoryPlan's config estimate is for refusing a config before it is built)
            (cfg.Lora is null ? "weights (bf16)" : "weights (bf16: frozen base and adapters)",
                (model.Parameters.All.Select(p => p.Tensor).Distinct().Sum(t => (double)t.Numel) + adapterValues) * 2),
            ("fp32 master weights", trainable * 4),
            ("AdamW moments (fp32, two)", trainable * 8),
            ("gradients (fp32)", trainable * 4),
            ($"activations (batch {batch} x {tokens} tokens, {images} images{(cfg.GradientCheckpointing ? ", checkpointed" : "")})",
                ActivationMemoryPlan.Bytes(c, batch, tokens, images, recording: true, visionRecording: cfg.Lora is null && cfg.Train.Contains("vision"),
                    checkpointed: cfg.GradientCheckpointing, bytesPerValue: 2)),
            ("backward working set (one layer's gradients, fp32 attention accumulators)", BackwardWorkingSet(c, batch, tokens, images, cfg.Lora is null && cfg.Train.Contains("vision"))),
            ("the largest weight's gradient before it is added in (fp32)", largestTrainable * 4),
            ("pixels (this batch and the prefetched one)", 2 * pixels),
            ("cuBLASLt workspace", CublasLtGemm.DefaultWorkspaceBytes),
        };
        if (adapters.Count > 0)
            parts.Add(($"LoRA activations ({adapters.Count} adapters{(cfg.GradientCheckpointing ? ", one layer's" : "")})",
                LoraActivations(adapters, (double)batch * tokens, cfg.GradientCheckpointing)));
        return new DeviceMemoryPlan(parts, availableBytes, totalBytes, where);
    }

    /// <summary>The plan at the configured per-device batch, max_seq_len and the most images a record has, with the
    /// device's free memory plus what this run already holds there (the model moved before planning).</summary>
    public static DeviceMemoryPlan ForRun(MantisModel model, TrainingConfig cfg, int imagesPerExample)
    {
        var be = CudaBackend.Get(model.Device);
        var (free, total) = be.Context.MemoryInfo();
        return For(model, cfg, cfg.PerDeviceTrainBatchSize, cfg.MaxSeqLen, cfg.PerDeviceTrainBatchSize * imagesPerExample,
            free + be.Context.Allocator.BytesInUse, total, $"{model.Device} ({be.Context.Device.Name})");
    }

    /// <summary>
    /// What the adapters' forward keeps for the backward, in BF16, per adapted module of rows x (in → out) at rank r:
    /// x·Aᵀ (r), its product with Bᵀ, the scaled update and the sum with the base output (3 × out); with dropout the
    /// mask, the masked and the rescaled input (3 × in); DoRA's x·W₀ᵀ without bias, g-scaled terms and their sums
    /// (4 × out, one more x·W₀ᵀ of the dropped input with dropout). Checkpointed: the layer with the most of it.
    /// </summary>
    private static double LoraActivations(IReadOnlyList<LoraLayer> adapters, double rows, bool checkpointed)
    {
        double Of(LoraLayer a) => rows * 2 * (a.Rank + 3.0 * a.OutFeatures
                                              + (a.DropoutRate > 0 ? 3.0 * a.InFeatures : 0)
                                              + (a.IsDora ? 4.0 * a.OutFeatures + (a.DropoutRate > 0 ? a.OutFeatures : 0) : 0));
        if (!checkpointed) return adapters.Sum(Of);
        return adapters.GroupBy(a => System.Text.RegularExpressions.Regex.Match(a.ModulePath, @"^.*?\.layers\.\d+\.").Value)
            .Max(g => g.Sum(Of));
    }

    /// <summary>What the backward holds beyond the saved activations at its widest point: the BF16 gradients of one
    /// layer's intermediates, and the F32 dq/dk/dv accumulators the attention backward writes.</summary>
    private static double BackwardWorkingSet(Models.Config.LlavaConfig c, int batch, int tokens, int images, bool vision)
    {
        var t = c.Text;
        var v = c.Vision;
        double rows = (double)batch * tokens;
        double text = rows * (2.0 * (8.0 * t.HiddenSize + 4.0 * (t.NumAttentionHeads + t.NumKeyValueHeads) * t.HeadDim + 3.0 * t.IntermediateSize)
                              + 4.0 * (t.NumAttentionHeads + 2.0 * t.NumKeyValueHeads) * t.HeadDim);
        double visionRows = vision ? (double)images * v.NumPositions : 0;
        double tower = visionRows * (2.0 * (10.0 * v.HiddenSize + 2.0 * v.IntermediateSize) + 4.0 * 3 * v.HiddenSize);
        return Math.Max(text, tower);
    }

    public string ToText()
    {
        var lines = new List<string> { $"· memory plan on {Where}:" };
        foreach (var (what, b) in Parts) lines.Add($"    {what,-58} {MemoryBudget.Format(b),10}");
        lines.Add(string.Create(CultureInfo.InvariantCulture,
            $"    {"total",-58} {MemoryBudget.Format(Bytes),10}   (available {MemoryBudget.Format(AvailableBytes)} of {MemoryBudget.Format(TotalBytes)})"));
        return string.Join('\n', lines);
    }

    /// <summary>Throws one message naming what to change when the plan exceeds the available memory.</summary>
    public void EnsureFits(TrainingConfig cfg, Func<TrainingConfig, DeviceMemoryPlan> replan)
    {
        if (Bytes <= AvailableBytes) return;
        var tries = new List<string>();
        void Try(string change, TrainingConfig changed)
        {
            var p = replan(changed);
            tries.Add($"{change} ({MemoryBudget.Format(p.Bytes)}{(p.Bytes <= AvailableBytes ? ", fits" : "")})");
        }
        if (!cfg.GradientCheckpointing) Try("gradient_checkpointing true", cfg with { GradientCheckpointing = true });
        if (cfg.PerDeviceTrainBatchSize > 1)
            Try($"per_device_train_batch_size 1 with gradient_accumulation_steps {cfg.PerDeviceTrainBatchSize * cfg.GradientAccumulationSteps}",
                cfg with { PerDeviceTrainBatchSize = 1 });
        if (cfg.Lora is null && (cfg.Train.Count > 1 || cfg.Train[0] != "projector")) Try("train projector only (freeze more)", cfg with { Train = new[] { "projector" } });
        throw new MantisException(
            $"training on {Where} needs about {MemoryBudget.Format(Bytes)} but {MemoryBudget.Format(AvailableBytes)} is available " +
            $"(largest: {string.Join(", ", Parts.OrderByDescending(p => p.Bytes).Take(2).Select(p => $"{p.What} {MemoryBudget.Format(p.Bytes)}"))}); " +
            $"change one of: {string.Join("; ", tries)}; or lower max_seq_len {cfg.MaxSeqLen}");
    }
}
