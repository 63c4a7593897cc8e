using MantisNative.Backends.Cpu.Quantized;
using MantisNative.Tensors;

namespace MantisNative.Nn.Lora;

/// <summary>The number format of the frozen base weights under LoRA: as loaded, bf16, int8 (per output channel) or NF4 (QLoRA, blocks of 64).</summary>
public enum FrozenBaseFormat { AsLoaded, Bf16, Int8, Nf4 }

/// <summary>
/// Puts the adapted modules' frozen weights on the grid of a format: each value becomes what the format stores
/// (bf16 round-to-nearest-even; int8 / NF4 through the same quantizer as <c>mantis quantize</c>, then decoded).
/// The tensors stay fp32 in memory: this gives LoRA / QLoRA's numerics with today's fp32 engine, not its memory
/// saving (that is the in-place frozen-weight types' job: the weight kept in its dtype and decoded inside GEMM packing).
/// </summary>
public static class FrozenBase
{
    public const int Nf4BlockSize = 64;

    public static FrozenBaseFormat Parse(string value, string where) => value.ToLowerInvariant() switch
    {
        "fp32" or "f32" or "as-loaded" or "none" => FrozenBaseFormat.AsLoaded,
        "bf16" => FrozenBaseFormat.Bf16,
        "int8" => FrozenBaseFormat.Int8,
        "nf4" => FrozenBaseFormat.Nf4,
        _ => throw new MantisException($"{where}: base expects fp32, bf16, int8 or nf4, got '{value}'"),
    };

    public static string Name(FrozenBaseFormat f) => f switch
    {
        FrozenBaseFormat.Bf16 => "bf16", FrozenBaseFormat.Int8 => "int8", FrozenBaseFormat.Nf4 => "nf4", _ => "fp32",
    };

    /// <summary>Rounds a host F32 weight [out, in] in place onto <paramref name="format"/>'s grid.</summary>
    public static void Apply(Tensor weight, FrozenBaseFormat format)
    {
        if (format == FrozenBaseFormat.AsLoaded) return;
        if (weight.IsOnDevice || weight.DType != DType.F32 || weight.Rank != 2)
            throw new MantisException($"{weight.Name}: a frozen base format applies to host F32 matrices, this is {weight.DType} {weight.Shape}");
        int rows = weight.Dim(0), cols = weight.Dim(1);
        var w = weight.Span;
        if (format == FrozenBaseFormat.Bf16)
        {
            for (int i = 0; i < w.Length; i++) w[i] = FloatConversion.FromBFloat16(FloatConversion.ToBFloat16(w[i]));
            return;
        }
        var q = format == FrozenBaseFormat.Int8 ? QuantizedFormat.Int8 : QuantizedFormat.Nf4;
        int block = q == QuantizedFormat.Int8 ? QuantizedMatrix.PerRowBlock(cols) : Nf4BlockSize;
        var codes = new byte[QuantizedMatrix.RowBytesFor(q, cols)];
        var scales = new float[QuantizedMatrix.BlocksFor(cols, block)];
        unsafe
        {
            fixed (byte* c = codes)
            fixed (float* s = scales)
            {
                var m = new QuantizedMatrix(q, 1, cols, block, c, s);
                for (int r = 0; r < rows; r++)
                {
                    var row = w.Slice(r * cols, cols);
                    WeightQuantizer.QuantizeRow(q, block, row, codes, scales);
                    QuantizedDequantize.Row(m, 0, 0, cols, row);
                }
            }
        }
    }
}
