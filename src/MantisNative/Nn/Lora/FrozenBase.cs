using MantisNative.Tensors;

namespace MantisNative.Nn.Lora;

/// <summary>
/// The spellings of a LoRA run's frozen base format (<c>base=</c> of <c>train --lora</c>): fp32 (ordinary tensors),
/// bf16 / f16 (one 16-bit copy), int8 (per output channel) or nf4 (QLoRA, blocks of 64), the last three frozen in
/// their own format and decoded inside the GEMM (the frozen-matrix types of the CPU backend).
/// </summary>
public static class FrozenBase
{
    public static WeightFormat Parse(string value, string where) => value.ToLowerInvariant() switch
    {
        "fp32" or "f32" => WeightFormat.F32,
        "bf16" => WeightFormat.BF16,
        "f16" or "fp16" => WeightFormat.F16,
        "int8" => WeightFormat.Int8,
        "nf4" => WeightFormat.Nf4,
        _ => throw new MantisException($"{where}: base expects fp32, bf16, f16, int8 or nf4, got '{value}'"),
    };
}
