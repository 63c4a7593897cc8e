using MantisNative.Tensors;
namespace MantisNative.Backends.Cpu.Frozen;

/// <summary>
/// Packs B panels for the GEMM micro-kernel (k-major, NR floats per k step, short panels zero-padded: the layout
/// GemmPacking.PackB writes) straight from a <see cref="FrozenMatrix"/>, decoding to fp32 on the way: the weight
/// operand's pack routine for 16-bit and quantized weights, so no fp32 copy of the weight ever exists.
/// </summary>
internal static unsafe class FrozenPacking
{
    /// <summary>
    /// op(B) = Wᵀ (y = x·Wᵀ): the panel of output channels [j0, j0 + nr) over inputs [p0, p0 + kc) into
    /// dst[p * NR + j]. <paramref name="scratch"/> holds at least kc floats.
    /// </summary>
    public static void PackTransposed(FrozenMatrix w, int p0, int kc, int j0, int nr, int NR, float* dst, float* scratch)
    {
        for (int j = 0; j < nr; j++)
        {
            w.DecodeRow(j0 + j, p0, kc, scratch);
            float* d = dst + j;
            for (int p = 0; p < kc; p++) d[(nint)p * NR] = scratch[p];
        }
        ZeroColumns(dst, kc, nr, NR);
    }

    /// <summary>op(B) = W (dX = dY·W): rows [p0, p0 + kc) of W, columns [j0, j0 + nr), each k step one row segment.</summary>
    public static void PackPlain(FrozenMatrix w, int p0, int kc, int j0, int nr, int NR, float* dst)
    {
        for (int p = 0; p < kc; p++) w.DecodeRow(p0 + p, j0, nr, dst + (nint)p * NR);
        ZeroColumns(dst, kc, nr, NR);
    }

    private static void ZeroColumns(float* dst, int kc, int nr, int NR)
    {
        if (nr == NR) return;
        for (int p = 0; p < kc; p++)
            for (int j = nr; j < NR; j++) dst[(nint)p * NR + j] = 0f;
    }
}
