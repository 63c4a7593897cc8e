using MantisNative.Backends.Cpu.Frozen;
using MantisNative.Backends.Cpu.Quantized;
using MantisNative.Nn;
using MantisNative.Tensors;

namespace MantisNative.IO;

/// <summary>
/// A LoRA run's frozen base: every weight matrix (Linear weights, embed_tokens, lm_head) handed out frozen in one
/// format (<see cref="FrozenMatrix"/>: a bf16 / f16 copy, or int8 / NF4 codes quantized at load as QLoRA does),
/// read row by row from the checkpoint so that no fp32 copy of a matrix ever exists; vectors (norms, biases) and
/// the patch convolution stay fp32 tensors. Nothing it hands out trains. An F32 format freezes nothing (the base
/// stays ordinary fp32 tensors, which also move to a GPU).
/// </summary>
public sealed class FrozenBaseWeights : IFrozenWeightProvider
{
    private readonly CheckpointWeights _plain;
    private readonly ITensorSource _source;

    public FrozenBaseWeights(ITensorSource source, WeightFormat format)
    {
        _source = source;
        _plain = new CheckpointWeights(source);
        Format = format;
    }

    public WeightFormat Format { get; }

    public Tensor Get(string name, int[] shape, WeightRole role) => _plain.Get(name, shape, role);

    public unsafe FrozenMatrix? GetFrozen(string name, int rows, int cols, WeightRole role)
    {
        if (Format == WeightFormat.F32 || role is not (WeightRole.Matrix or WeightRole.Embedding)) return null;
        _plain.Claim(name, [rows, cols]); // the same name, shape and dtype checks as a dense load
        long elements = (long)rows * cols;
        if (Format is WeightFormat.BF16 or WeightFormat.F16)
        {
            var info = _source.GetInfo(name);
            var storage = new HostStorage(elements * 2, zero: false);
            try
            {
                var wanted = Format == WeightFormat.BF16 ? DType.BF16 : DType.F16;
                var row = new float[cols];
                ushort* d = (ushort*)storage.Pointer;
                if (info.DType == wanted) Buffer.MemoryCopy(_source.GetPointer(name), d, elements * 2, elements * 2); // bit for bit
                else
                    for (int r = 0; r < rows; r++)
                    {
                        _source.ReadAsFloat32(name, row, (long)r * cols);
                        var out16 = new Span<ushort>(d + (long)r * cols, cols);
                        if (Format == WeightFormat.BF16) FloatConversion.ToBFloat16(row, out16); else FloatConversion.ToFloat16(row, out16);
                    }
                return new HalfMatrix(Format, rows, cols, d, storage);
            }
            catch { storage.Dispose(); throw; }
        }
        var q = Format == WeightFormat.Int8 ? QuantizedFormat.Int8 : QuantizedFormat.Nf4;
        return FrozenQuantizer.Quantize(q, rows, cols, FrozenQuantizer.DefaultBlock(q, cols), (r, row) => _source.ReadAsFloat32(name, row, (long)r * cols));
    }

    public DType DTypeOf(string name) => _plain.DTypeOf(name);
    public IEnumerable<string> Unused => _plain.Unused;
}
