namespace MantisNative.Tensors;

/// <summary>
/// How a frozen weight matrix is held in memory on the CPU. F32 / BF16 / F16 are dense (16-bit ones widened to
/// fp32 inside GEMM packing and GEMV); Int8 / Nf4 are weight-only quantized blocks (docs/quantization.md),
/// dequantized inside packing and GEMV.
/// </summary>
public enum WeightFormat { F32, BF16, F16, Int8, Nf4 }

public static class WeightFormatInfo
{
    /// <summary>The spelling used by <c>--weights</c> and in messages.</summary>
    public static string Name(this WeightFormat f) => f switch
    {
        WeightFormat.F32 => "f32", WeightFormat.BF16 => "bf16", WeightFormat.F16 => "f16",
        WeightFormat.Int8 => "int8", WeightFormat.Nf4 => "nf4",
        _ => throw new ArgumentOutOfRangeException(nameof(f)),
    };

    public static bool IsQuantized(this WeightFormat f) => f is WeightFormat.Int8 or WeightFormat.Nf4;
}
