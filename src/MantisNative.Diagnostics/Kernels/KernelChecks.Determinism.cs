using MantisNative.Backends.Cuda;
using MantisNative.Interop;

namespace MantisNative.Diagnostics.Kernels;

// Weight-gradient reductions give the same bits every run: each kernel runs twice on the same inputs, at the
// geometry the backend uses, and the fp32 results must be bit-equal. The note prints an FNV-1a digest of the bits,
// so runs in separate processes (the emulator's fiber orders, MANTIS_EMU_SEED) can be compared too.
internal sealed partial class KernelChecks
{
    private void WeightGradientsAreBitIdentical()
    {
        int rows = 300, dim = 200, vocab = 97;
        int sms = _ctx.Device.MultiprocessorCount, parts = Math.Clamp(rows, 1, sms), threads = LaunchGeometry.RowThreads(dim);
        var x = RoundBf16(Rand(rows * dim, 2f));
        var w = RoundBf16(Rand(dim));
        var gy = RoundBf16(Rand(rows * dim));
        var mean = Rand(rows);
        var rstd = Rand(rows).Select(v => 1.5f + v).ToArray();
        var ids = Enumerable.Range(0, rows).Select(i => i % 3 == 0 ? 5 : _rng.Next(vocab)).ToArray();
        using var xd = Bf16(x);
        using var wd = Bf16(w);
        using var gyd = Bf16(gy);
        using var meand = F32(mean);
        using var rstdd = F32(rstd);
        using var idd = I32(ids);
        using var gx = _ctx.Allocate((long)rows * dim * 2);

        float[] RmsNorm()
        {
            using var p = PoisonedF32((long)parts * dim);
            using var gw = ZeroF32(dim);
            Launch("rmsnorm", "rmsnorm_backward", (uint)parts, threads, (uint)(dim * 4),
                new KernelArgs().Ptr(gyd).Ptr(xd).Ptr(wd).Ptr(rstdd).Ptr(gx).Ptr(p).Int(rows).Int(dim));
            SumPartials(p, parts, gw, dim);
            return ReadF32(gw, dim);
        }
        float[] LayerNorm()
        {
            using var pw = PoisonedF32((long)parts * dim);
            using var pb = PoisonedF32((long)parts * dim);
            using var gw = ZeroF32(dim);
            using var gb = ZeroF32(dim);
            Launch("layernorm", "layernorm_backward", (uint)parts, threads, (uint)(2 * dim * 4),
                new KernelArgs().Ptr(gyd).Ptr(xd).Ptr(wd).Ptr(meand).Ptr(rstdd).Ptr(gx).Ptr(pw).Ptr(pb).Int(rows).Int(dim));
            SumPartials(pw, parts, gw, dim);
            SumPartials(pb, parts, gb, dim);
            return ReadF32(gw, dim).Concat(ReadF32(gb, dim)).ToArray();
        }
        float[] Embedding()
        {
            using var gt = ZeroF32((long)vocab * dim);
            var (blocks, t, perBlock) = LaunchGeometry.TableScatter(vocab, dim, sms);
            Launch("embedding", "embedding_backward", blocks, t, 0,
                new KernelArgs().Ptr(gyd).Ptr(idd).Ptr(gt).Long(rows).Int(dim).Int(vocab).Int(perBlock));
            return ReadF32(gt, vocab * dim);
        }
        float[] LinearGemm()
        {
            // a Linear's dW (dim x dim, k = rows) accumulated by cuBLASLt into fp32 over two micro-batches (beta 0, then 1)
            using var gemm = new CublasLtGemm(_ctx);
            var c = LinearPlan.GradW(rows, dim, dim);
            var shape = new GemmShape(c.M, c.N, c.K, c.TransA, c.TransB, c.Lda, c.Ldb, c.Ldc, OutF32: true);
            using var gw = PoisonedF32((long)dim * dim);
            gemm.Run(shape, gyd.Pointer, xd.Pointer, gw.Pointer, 1f, 0f);
            gemm.Run(shape, gyd.Pointer, xd.Pointer, gw.Pointer, 1f, 1f);
            return ReadF32(gw, dim * dim);
        }
        var runs = new List<(string, Func<float[]>)> { ("rmsnorm dw", RmsNorm), ("layernorm dw db", LayerNorm), ("embedding dtable", Embedding) };
        if (CublasLt.IsAvailable) runs.Add(("linear dw (cuBLASLt, beta = 1 into fp32)", LinearGemm));
        else Skip("linear dw (cuBLASLt) bits", $"no cuBLASLt: {CublasLt.UnavailableReason}");
        foreach (var (name, run) in runs)
        {
            var a = run();
            var b = run();
            bool same = a.Select(BitConverter.SingleToInt32Bits).SequenceEqual(b.Select(BitConverter.SingleToInt32Bits)) && a.All(float.IsFinite);
            _results.Add(new KernelCheckResult($"{name} bits equal over two runs", same ? 0 : 1, 0, same, $"fnv {Fnv(a):x16}"));
        }
    }

    private static ulong Fnv(float[] v)
    {
        ulong h = 14695981039346656037UL;
        foreach (var f in v)
        {
            uint bits = (uint)BitConverter.SingleToInt32Bits(f);
            for (int i = 0; i < 4; i++) { h ^= (bits >> (8 * i)) & 0xFF; h *= 1099511628211UL; }
        }
        return h;
    }
}
