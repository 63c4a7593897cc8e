namespace MantisNative.Backends.Cpu.Quantized;

/// <summary>
/// Packs a panel of op(B) = Wᵀ straight from a quantized W [n, k] for a GEMM y = x Wᵀ: the layout the fp32
/// micro-kernel streams (k-major, <paramref name="nr"/> floats per k step, short panels zero-padded), so a
/// quantized weight feeds the existing GEMM with dequantization fused into packing and no fp32 copy of W.
/// </summary>
internal static unsafe class QuantizedPacking
{
    /// <summary>
    /// Writes the panel of output channels [j0, j0 + nr) (fewer at the edge: zero-padded) over inputs [p0, p0 + kc)
    /// into dst[p * nr + j], p in [0, kc), j in [0, nr). <paramref name="scratch"/> holds at least kc floats.
    /// </summary>
    public static void PackBPanel(in QuantizedMatrix w, int p0, int kc, int j0, int nr, float* dst, Span<float> scratch)
    {
        if (p0 < 0 || kc < 0 || p0 + kc > w.Cols) throw new ArgumentOutOfRangeException(nameof(kc), $"inputs [{p0}, {p0 + kc}) outside [0, {w.Cols})");
        if (j0 < 0 || j0 >= w.Rows || nr < 1) throw new ArgumentOutOfRangeException(nameof(j0));
        if (scratch.Length < kc) throw new ArgumentException("scratch too short", nameof(scratch));
        int rows = Math.Min(nr, w.Rows - j0);
        var row = scratch[..kc];
        for (int j = 0; j < rows; j++)
        {
            QuantizedDequantize.Row(w, j0 + j, p0, kc, row);
            float* d = dst + j;
            for (int p = 0; p < kc; p++) d[(nint)p * nr] = row[p];
        }
        for (int j = rows; j < nr; j++)
            for (int p = 0; p < kc; p++) dst[(nint)p * nr + j] = 0f;
    }
}
