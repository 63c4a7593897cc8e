using MantisNative.Backends;

namespace MantisNative.Training;

/// <summary>The optimizer_states setting's names for the AdamW moment formats (fp32, bf16, 8bit).</summary>
public static class OptimizerStates
{
    public static string Name(MomentFormat f) => f switch
    {
        MomentFormat.Fp32 => "fp32",
        MomentFormat.Bf16 => "bf16",
        _ => "8bit",
    };

    public static MomentFormat Parse(string value, string where) => value.Trim().ToLowerInvariant() switch
    {
        "fp32" or "f32" or "float32" => MomentFormat.Fp32,
        "bf16" or "bfloat16" => MomentFormat.Bf16,
        "8bit" or "8-bit" or "int8" => MomentFormat.Blockwise8Bit,
        _ => throw new MantisException($"{where} expects fp32, bf16 or 8bit, got '{value}'"),
    };
}
