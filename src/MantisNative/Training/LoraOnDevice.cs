using MantisNative.Nn.Lora;
using MantisNative.Tensors;

namespace MantisNative.Training;

/// <summary>
/// Where a LoRA run trains, and how its frozen base is loaded for that device. On a GPU every weight lives in the
/// device's compute type (bf16), so a base of <c>base=bf16</c> or <c>fp32</c> is loaded as ordinary tensors and moves
/// there in bf16 (the frozen base of a GPU LoRA run is bf16, as in PEFT on a bf16 model); the adapters get fp32
/// masters and moments there. int8 / NF4 (QLoRA) and f16 bases stay on the CPU: the CUDA backend has no
/// dequantizing GEMM, so an explicit cuda device refuses them and auto trains them on the CPU, saying why.
/// </summary>
public static class LoraOnDevice
{
    /// <summary>True for the base formats a GPU LoRA run can hold (fp32 and bf16: both become bf16 there).</summary>
    public static bool Supports(WeightFormat format) => format is WeightFormat.F32 or WeightFormat.BF16;

    /// <summary>Why a LoRA run with this base cannot train on a GPU (null when it can).</summary>
    public static string? Unsupported(LoraTrainingOptions lora) => Supports(lora.Base)
        ? null
        : $"a LoRA base frozen as {lora.Base.Name()} trains on the CPU only for now (the CUDA backend has no dequantizing GEMM for it)";

    /// <summary>
    /// The device a run of <paramref name="cfg"/> trains on, given the device its spec resolved to: the same, except
    /// that a LoRA base format without a GPU path is refused on an explicit cuda device (one message, before anything
    /// loads) and sends auto to the CPU (<paramref name="note"/> then says why).
    /// </summary>
    public static Device Resolve(TrainingConfig cfg, Device resolved, ref string note)
    {
        if (cfg.Lora is null || !resolved.IsCuda || Unsupported(cfg.Lora) is not { } why) return resolved;
        if (!cfg.Device.Trim().Equals("auto", StringComparison.OrdinalIgnoreCase))
            throw new MantisException($"device {cfg.Device}: {why}; use base=bf16 to train LoRA on the GPU, or --device cpu (or auto) for base={cfg.Lora.Base.Name()}");
        note = $"cpu (auto: {why})";
        return Device.Cpu;
    }

    /// <summary>The device a run of <paramref name="cfg"/> trains on (its spec resolved against the machine, then <see cref="Resolve(TrainingConfig, Device, ref string)"/>).</summary>
    public static Device Resolve(TrainingConfig cfg, out string note)
    {
        var device = TrainingDevices.Resolve(cfg.Device, out note);
        return Resolve(cfg, device, ref note);
    }

    /// <summary>How the base of a run of <paramref name="cfg"/> is loaded (<see cref="IO.ModelLoadOptions.Weights"/>):
    /// ordinary tensors for a GPU run (moved there as bf16), frozen in the run's format on the CPU; null without LoRA.</summary>
    public static WeightFormat? LoadFormat(TrainingConfig cfg)
    {
        if (cfg.Lora is null) return null;
        // refuses an explicit GPU for a CPU-only base format before anything loads
        return Resolve(cfg, out _).IsCuda ? WeightFormat.F32 : cfg.Lora.Base;
    }
}
