using MantisNative.Backends.Cpu.Quantized;
using MantisNative.Tensors;

namespace MantisNative.Backends.Cpu.Frozen;

/// <summary>
/// Quantizes a weight at load (<c>--weights int8|nf4</c> on a plain checkpoint) into codes and scales in host
/// memory, one row at a time from any row source (a bf16 mapping, an fp32 tensor), so the fp32 matrix never
/// exists whole. Same encoder as <c>mantis quantize</c> (<see cref="WeightQuantizer"/>): a file quantized once
/// and a weight quantized at load hold the same codes.
/// </summary>
public static unsafe class FrozenQuantizer
{
    /// <summary>NF4 elements per scale (QLoRA's 64); int8 keeps one scale per row (per output channel).</summary>
    public const int DefaultNf4Block = 64;

    public static int DefaultBlock(QuantizedFormat format, int cols) =>
        format == QuantizedFormat.Nf4 ? DefaultNf4Block : QuantizedMatrix.PerRowBlock(cols);

    /// <param name="readRow">writes row r of the fp32 weight into the span (Cols floats)</param>
    public static QuantizedFrozenMatrix Quantize(QuantizedFormat format, int rows, int cols, int blockSize, Action<int, Span<float>> readRow)
    {
        int rowBytes = QuantizedMatrix.RowBytesFor(format, cols), blocks = QuantizedMatrix.BlocksFor(cols, blockSize);
        // 64 bytes of slack after the codes: the SIMD decoders read whole 8- or 16-byte groups at a row's end
        var codes = new HostStorage((long)rows * rowBytes + 64);
        var scales = new HostStorage((long)rows * blocks * 4, zero: false);
        var owner = new Owners(codes, scales);
        try
        {
            byte* pc = (byte*)codes.Pointer;
            float* ps = (float*)scales.Pointer;
            var cp = (nint)pc; var sp = (nint)ps;
            CpuParallel.ForRange(rows, 64, (r0, r1) =>
            {
                var row = new float[cols];
                for (int r = r0; r < r1; r++)
                {
                    readRow(r, row);
                    WeightQuantizer.QuantizeRow(format, blockSize, row,
                        new Span<byte>((byte*)cp + (nint)r * rowBytes, rowBytes), new Span<float>((float*)sp + (nint)r * blocks, blocks));
                }
            });
            return new QuantizedFrozenMatrix(new QuantizedMatrix(format, rows, cols, blockSize, pc, ps), owner);
        }
        catch { owner.Dispose(); throw; }
    }

    private sealed class Owners(HostStorage a, HostStorage b) : IDisposable
    {
        public void Dispose() { a.Dispose(); b.Dispose(); }
    }
}
