using MantisNative.Backends.Cuda;
using MantisNative.Interop;
using MantisNative.Tensors;

namespace MantisNative.Diagnostics.Kernels;

// The sm_80 tensor-core instructions one at a time (kernels/tensor_core_probe.cu) against the PTX ISA's fragment
// tables, written out here independently of the kernels and of the emulator's twins: on a GPU this checks the
// hardware agrees with the tables the attention kernels assume, on the emulated device that the twins do.
// Inputs are small integers, so every product and sum is exact in any order: results must match exactly.
internal sealed partial class KernelChecks
{
    private const string Probe = "tensor_core_probe";

    // PTX ISA "Matrix Fragments for mma.m16n8k16 with floating point type": element i of lane l.
    private static (int Row, int Col) A16(int l, int i) => ((i < 2 || i is >= 4 and < 6) ? l / 4 : l / 4 + 8, l % 4 * 2 + (i & 1) + (i >= 4 ? 8 : 0));
    private static (int Row, int Col) B16(int l, int i) => (l % 4 * 2 + (i & 1) + (i >= 2 ? 8 : 0), l / 4);
    private static (int Row, int Col) C16(int l, int i) => (i < 2 ? l / 4 : l / 4 + 8, l % 4 * 2 + (i & 1));
    // "Matrix Fragments for mma.m16n8k8": A has 4 elements, B 2.
    private static (int Row, int Col) A8(int l, int i) => (i < 2 ? l / 4 : l / 4 + 8, l % 4 * 2 + (i & 1));
    private static (int Row, int Col) B8(int l, int i) => (l % 4 * 2 + i, l / 4);

    private static ushort Bf16Bits(float v) => FloatConversion.ToBFloat16(v);

    /// <summary>Packs elements 2w and 2w+1 of a lane's fragment into word w (lower index in the low half).</summary>
    private static uint[] PackLanes(int words, Func<int, int, float> element)
    {
        var r = new uint[32 * words];
        for (int l = 0; l < 32; l++)
            for (int w = 0; w < words; w++)
                r[l * words + w] = Bf16Bits(element(l, 2 * w)) | (uint)Bf16Bits(element(l, 2 * w + 1)) << 16;
        return r;
    }

    private float[,] SmallInts(int rows, int cols)
    {
        var m = new float[rows, cols];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) m[i, j] = _rng.Next(-3, 4);
        return m;
    }

    private void TensorCoreFragments()
    {
        if (_ctx.Device.ComputeMajor < 8) { Skip("tensor cores", $"{_ctx.Device.SmArch} has no bf16 mma.sync (sm_80+)"); return; }
        MmaMatchesTheFragmentTable(16);
        MmaMatchesTheFragmentTable(8);
        LdmatrixMatchesTheFragmentTable();
        CpAsyncCopiesAndZeroFills();
    }

    private void MmaMatchesTheFragmentTable(int k)
    {
        var a = SmallInts(16, k);
        var b = SmallInts(k, 8);
        var c = SmallInts(16, 8);
        var aw = PackLanes(k / 4, (l, i) => { var (r, col) = k == 16 ? A16(l, i) : A8(l, i); return a[r, col]; });
        var bw = PackLanes(k / 8, (l, i) => { var (r, col) = k == 16 ? B16(l, i) : B8(l, i); return b[r, col]; });
        var cl = new float[32 * 4];
        var want = new double[32 * 4];
        for (int l = 0; l < 32; l++)
            for (int i = 0; i < 4; i++)
            {
                var (r, col) = C16(l, i);
                cl[l * 4 + i] = c[r, col];
                double s = c[r, col];
                for (int kk = 0; kk < k; kk++) s += (double)a[r, kk] * b[kk, col];
                want[l * 4 + i] = s;
            }
        using var ad = DeviceBuffer.FromHost<uint>(_ctx, aw);
        using var bd = DeviceBuffer.FromHost<uint>(_ctx, bw);
        using var cd = F32(cl);
        using var dd = PoisonedF32(32 * 4);
        Launch(Probe, k == 16 ? "probe_mma_m16n8k16" : "probe_mma_m16n8k8", 1, 32, 0, new KernelArgs().Ptr(ad).Ptr(bd).Ptr(cd).Ptr(dd));
        Record($"mma.m16n8k{k} bf16 fragments", ReadF32(dd, 32 * 4), want, 1e-12);
    }

    private void LdmatrixMatchesTheFragmentTable()
    {
        var m = new float[4 * 64];
        for (int i = 0; i < m.Length; i++) m[i] = i - 100;   // distinct, exact in bf16
        using var md = Bf16(m);
        using var od = _ctx.Allocate(4 * 32 * 4 * 4);
        od.Fill32(0xDEADBEEFu);
        Launch(Probe, "probe_ldmatrix", 1, 32, 0, new KernelArgs().Ptr(md).Ptr(od));
        var got = new uint[4 * 32 * 4];
        od.CopyTo(got.AsSpan());
        string[] forms = { "x4", "x4.trans", "x2", "x2.trans" };
        for (int f = 0; f < 4; f++)
        {
            bool trans = f % 2 == 1;
            int matrices = f < 2 ? 4 : 2, bad = 0;
            for (int l = 0; l < 32; l++)
                for (int mi = 0; mi < matrices; mi++)
                {
                    // lane l holds (row l/4, cols 2(l%4), +1) of matrix mi; .trans: (rows 2(l%4), +1, col l/4)
                    float E(int h) => trans ? m[mi * 64 + (l % 4 * 2 + h) * 8 + l / 4] : m[mi * 64 + l / 4 * 8 + l % 4 * 2 + h];
                    uint want = Bf16Bits(E(0)) | (uint)Bf16Bits(E(1)) << 16;
                    if (got[(f * 32 + l) * 4 + mi] != want) bad++;
                }
            Require($"ldmatrix.m8n8.{forms[f]} fragments", bad == 0, $"{bad} of {32 * matrices} registers differ from the PTX ISA table");
        }
    }

    private void CpAsyncCopiesAndZeroFills()
    {
        var src = Enumerable.Range(0, 64).Select(i => (float)(i + 1)).ToArray();
        using var sd = Bf16(src);
        using var od = PoisonedBf16(128);
        Launch(Probe, "probe_cp_async", 1, 32, 0, new KernelArgs().Ptr(sd).Ptr(od));
        var got = ReadBf16(od, 128);
        var want = new double[128];
        for (int i = 0; i < 64; i++)
        {
            want[i] = i % 8 < i / 8 ? src[i] : 0;   // chunk t read only its first t elements, the rest zero-filled
            want[64 + i] = src[i];
        }
        Record("cp.async src-size zero fill, wait_group 1", got.Take(64).ToArray(), want.Take(64).ToArray(), 1e-12);
        Record("cp.async wait_group 0", got.Skip(64).ToArray(), want.Skip(64).ToArray(), 1e-12);
    }
}
