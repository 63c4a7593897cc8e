using System.Globalization;
using MantisNative.Backends;
using MantisNative.Backends.Cuda;
using MantisNative.Models.Config;
using MantisNative.Models;
using MantisNative.Nn.Lora;
using MantisNative.Tensors;

namespace MantisNative.Training;

/// <summary>
/// What a training run on a GPU will hold, before the first step: BF16 weights, fp32
/// masters, both AdamW moments (fp32, bf16 or 8-bit: optimizer_states) and the gradients (fp32 or bf16: grad_dtype)
/// of the trainable weights (of a LoRA run: the adapters only, whose forward intermediates are counted apart),
/// activations of the largest
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
        // the parts cfg.Train names (not the model's current flags), so a plan can be redone for a changed config;
        // a LoRA run trains its adapters only: they alone have masters, moments and gradients (and BF16 copies)
        var adapters = cfg.Lora is null ? new List<LoraLayer>() : model.Parameters.Linears.Select(l => l.Adapter).OfType<LoraLayer>().ToList();
        var trainable = cfg.Lora is not null
            ? adapters.SelectMany(a => a.Magnitude is null ? new[] { a.A, a.B } : new[] { a.A, a.B, a.Magnitude }).ToList()
            : model.Parameters.All.Where(p => cfg.Train.Contains(PartName(p.Part))).Select(p => p.Tensor).Distinct().ToList();
        double adapterValues = cfg.Lora is not null ? trainable.Sum(t => (double)t.Numel) : 0;
        double all = model.Parameters.All.Select(p => p.Tensor).Distinct().Sum(t => (double)t.Numel) + adapterValues;
        // per tensor: under 8-bit, tensors below MomentCodec.Min8BitElements keep fp32 moments
        double moments = trainable.Sum(t => (double)MomentCodec.Bytes(cfg.OptimizerStates, t.Numel));
        double largestTrainable = cfg.Lora is not null
            ? adapters.Select(a => (double)Math.Max(a.A.Numel, a.B.Numel)).DefaultIfEmpty(0).Max()
            : ModelMemoryPlan.For(model.Config).LargestTensor;
        return Build(model.Config, cfg, all, trainable.Sum(t => (double)t.Numel), moments, largestTrainable, adapters, batch, tokens, images, availableBytes, totalBytes, where);
    }

    /// <summary>The plan of a model config alone (no weights allocated): parameter counts per part from
    /// <see cref="ModelMemoryPlan"/>'s formula; the moments as if every trainable value were in one tensor (the few
    /// small tensors that keep fp32 moments under 8-bit are a rounding error at that scale). Full fine-tuning only.</summary>
    public static DeviceMemoryPlan ForConfig(LlavaConfig c, TrainingConfig cfg, int batch, int tokens, int images, long availableBytes = 0, long totalBytes = 0, string where = "")
    {
        var parts = ModelMemoryPlan.For(c).Parts;
        double vision = parts[0].Floats + parts[1].Floats, projector = parts[2].Floats, language = parts[3].Floats + parts[4].Floats;
        double trainable = (cfg.Train.Contains("vision") ? vision : 0) + (cfg.Train.Contains("projector") ? projector : 0) + (cfg.Train.Contains("llm") ? language : 0);
        double moments = MomentCodec.Bytes(cfg.OptimizerStates, (long)trainable);
        return Build(c, cfg, vision + projector + language, trainable, moments, ModelMemoryPlan.For(c).LargestTensor, new List<LoraLayer>(),
            batch, tokens, images, availableBytes, totalBytes, where);
    }

    private static string PartName(string p) => p switch
    {
        ModelPart.Vision => "vision",
        ModelPart.Projector => "projector",
        _ => "llm",
    };

    private static DeviceMemoryPlan Build(LlavaConfig c, TrainingConfig cfg, double all, double trainable, double moments, double largestTrainable,
                                          IReadOnlyList<LoraLayer> adapters, int batch, int tokens, int images,
                                          long availableBytes, long totalBytes, string where)
    {
        double pixels = (double)images * c.Vision.NumChannels * c.Vision.ImageSize * c.Vision.ImageSize * 2;
        string momentKind = cfg.OptimizerStates switch
        {
            MomentFormat.Fp32 => "fp32",
            MomentFormat.Bf16 => "bf16, optimizer_states bf16",
            _ => "8-bit + absmax, optimizer_states 8bit",
        };
        bool bf16Grads = cfg.GradDtype == DType.BF16;
        var parts = new List<(string, double)>
        {
            // the model's own count (ModelMemoryPlan's config estimate is for refusing a config before it is built)
            (cfg.Lora is null ? "weights (bf16)" : "weights (bf16: frozen base and adapters)", all * 2),
            ("fp32 master weights", trainable * 4),
            ($"AdamW moments ({momentKind}, two)", moments),
            (bf16Grads ? "gradients (bf16, grad_dtype bf16)" : "gradients (fp32)", trainable * (bf16Grads ? 2 : 4)),
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
        // the memory options first: they keep full fine-tuning of the same parts at the same batch
        if (cfg.OptimizerStates == MomentFormat.Fp32) Try("optimizer_states bf16", cfg with { OptimizerStates = MomentFormat.Bf16 });
        if (cfg.OptimizerStates != MomentFormat.Blockwise8Bit) Try("optimizer_states 8bit", cfg with { OptimizerStates = MomentFormat.Blockwise8Bit });
        if (cfg.GradDtype != DType.BF16) Try("grad_dtype bf16", cfg with { GradDtype = DType.BF16 });
        if (cfg.OptimizerStates != MomentFormat.Blockwise8Bit && cfg.GradDtype != DType.BF16)
            Try("optimizer_states 8bit with grad_dtype bf16", cfg with { OptimizerStates = MomentFormat.Blockwise8Bit, GradDtype = DType.BF16 });
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
