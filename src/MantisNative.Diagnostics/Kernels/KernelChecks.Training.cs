using MantisNative.Autograd;
using MantisNative.Backends;
using MantisNative.Backends.Cpu;
using MantisNative.Interop;
using MantisNative.Tensors;
using AOps = MantisNative.Autograd.Ops;

using MantisNative.Backends.Cuda;

namespace MantisNative.Diagnostics.Kernels;

// Loss, optimizer, gradient norm, cuBLASLt GEMM and event timing, against the CPU engine's ops and primitives; outputs poisoned first.
internal sealed partial class KernelChecks
{
    private void CrossEntropyOverTwoVocabularyChunks()
    {
        int rows = 9, vocab = 1000, chunk = 600;
        var targets = Enumerable.Range(0, rows).Select(r => r == 3 ? AOps.IgnoreIndex : _rng.Next(vocab)).ToArray();
        targets[0] = 599; targets[1] = 600;   // both sides of the chunk boundary
        int valid = targets.Count(t => t != AOps.IgnoreIndex);
        var c = OpCases.CrossEntropy(vocab, targets);
        var (x, r) = Reference(c);
        using var ld = Bf16(x[0]);
        using var td = I32(targets);
        using var runMax = _ctx.Allocate(rows * 4);
        using var runSum = ZeroF32(rows);
        using var tlogit = ZeroF32(rows);
        Launch("cast", "fill_f32", 1, 256, 0, new KernelArgs().Ptr(runMax).Float(float.NegativeInfinity).Long(rows));
        for (int c0 = 0; c0 < vocab; c0 += chunk)
        {
            int cols = Math.Min(chunk, vocab - c0);
            Launch("cross_entropy", "cross_entropy_chunk_stats", (uint)rows, 256, 0, new KernelArgs()
                .Ptr(ld.Pointer + (ulong)(c0 * 2)).Long(vocab).Int(rows).Int(cols).Int(c0).Ptr(td).Ptr(runMax).Ptr(runSum).Ptr(tlogit));
        }
        using var lse = PoisonedF32(rows);
        using var loss = PoisonedF32(rows);
        Launch("cross_entropy", "cross_entropy_finalize", 1, 256, 0,
            new KernelArgs().Ptr(runMax).Ptr(runSum).Ptr(tlogit).Ptr(td).Ptr(lse).Ptr(loss).Int(rows).Int(vocab));
        using var grad = PoisonedBf16(rows * vocab);
        for (int c0 = 0; c0 < vocab; c0 += chunk)
        {
            int cols = Math.Min(chunk, vocab - c0);
            Launch("cross_entropy", "cross_entropy_chunk_grad", Blocks((long)rows * cols), 256, 0, new KernelArgs()
                .Ptr(ld.Pointer + (ulong)(c0 * 2)).Long(vocab).Ptr(grad.Pointer + (ulong)(c0 * 2)).Long(vocab)
                .Int(rows).Int(cols).Int(c0).Ptr(td).Ptr(lse).Int(vocab).Float(1f / valid));
        }

        // per-row statistics against the CPU primitive's (counted rows only), the mean loss against the op's
        var gotLse = ReadF32(lse, rows);
        var gotLoss = ReadF32(loss, rows);
        var cpuLse = CpuCrossEntropyLse(x[0], targets, vocab);
        var counted = Enumerable.Range(0, rows).Where(i => targets[i] != AOps.IgnoreIndex).ToArray();
        Record("cross_entropy lse", counted.Select(i => gotLse[i]).ToArray(), counted.Select(i => cpuLse[i]).ToArray(), Tolerances.Fp32Statistic);
        Record("cross_entropy loss", new[] { (float)(counted.Sum(i => (double)gotLoss[i]) / valid) }, r.Output, c.ForwardTolerance);
        Record("cross_entropy grad", ReadBf16(grad, rows * vocab), r.Grads[0]!, c.BackwardTolerance);
    }

    private static float[] CpuCrossEntropyLse(float[] logits, int[] targets, int vocab)
    {
        using var l = Tensor.FromArray(logits, targets.Length, vocab);
        using var t = LossTargets.Create(targets, vocab, Device.Cpu);
        var (loss, lse) = CpuOps.Instance.CrossEntropyForward(l, t.Ids, AOps.IgnoreIndex, t.Counted);
        using (loss) using (lse) return lse.ToArray();
    }

    /// <summary>One step of the multi-tensor kernel against the CPU AdamW primitive (the one optimizer definition) on the same values.</summary>
    private void AdamWMultiTensorStep()
    {
        int[] sizes = { 1000, 37 };
        var step = new AdamWStep(Lr: 1e-2, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.1, Step: 3);
        float bc1 = (float)(1 - Math.Pow(step.Beta1, step.Step)), bc2 = (float)(1 - Math.Pow(step.Beta2, step.Step));
        var p = sizes.Select(n => Rand(n)).ToArray();
        var g = sizes.Select(n => RoundBf16(Rand(n))).ToArray();
        var m = sizes.Select(n => Rand(n, 0.1f)).ToArray();
        var v = sizes.Select(n => Rand(n, 0.1f).Select(Math.Abs).ToArray()).ToArray();
        var want = CpuAdamW(p, g, m, v, step);
        var pd = p.Select(F32).ToArray();
        var gd = g.Select(Bf16).ToArray();
        var md = m.Select(F32).ToArray();
        var vd = v.Select(F32).ToArray();
        var pb = sizes.Select(n => PoisonedBf16(n)).ToArray();
        using var sizesD = DeviceBuffer.FromHost<long>(_ctx, sizes.Select(n => (long)n).ToArray());
        using var pArr = DeviceBuffer.FromHost<ulong>(_ctx, pd.Select(b => b.Pointer).ToArray());
        using var pbArr = DeviceBuffer.FromHost<ulong>(_ctx, pb.Select(b => b.Pointer).ToArray());
        using var gArr = DeviceBuffer.FromHost<ulong>(_ctx, gd.Select(b => b.Pointer).ToArray());
        using var mArr = DeviceBuffer.FromHost<ulong>(_ctx, md.Select(b => b.Pointer).ToArray());
        using var vArr = DeviceBuffer.FromHost<ulong>(_ctx, vd.Select(b => b.Pointer).ToArray());
        Launch("adamw", "adamw_multi_tensor_bf16_grad", new Dim3(4, (uint)sizes.Length), 256, 0, new KernelArgs()
            .Ptr(sizesD).Ptr(pArr).Ptr(pbArr).Ptr(gArr).Ptr(mArr).Ptr(vArr)
            .Float((float)step.Lr).Float((float)step.Beta1).Float((float)step.Beta2).Float((float)step.Eps).Float((float)step.WeightDecay)
            .Float(bc1).Float(bc2).Float(1f));
        for (int t = 0; t < sizes.Length; t++)
        {
            Record($"adamw tensor {t}", ReadF32(pd[t], sizes[t]), want[t], Tolerances.Fp32Master);
            Record($"adamw tensor {t} bf16 copy", ReadBf16(pb[t], sizes[t]), want[t], Tolerances.Rounded);
        }
        foreach (var b in pd.Concat(gd).Concat(md).Concat(vd).Concat(pb)) b.Dispose();
    }

    private static float[][] CpuAdamW(float[][] p, float[][] g, float[][] m, float[][] v, AdamWStep step)
    {
        var tensors = new List<Tensor>();
        Tensor T(float[] a) { var t = Tensor.FromArray((float[])a.Clone(), a.Length); tensors.Add(t); return t; }
        try
        {
            var slots = p.Select((_, i) => new AdamWSlot(T(p[i]), T(m[i]), T(v[i]), T(g[i]), null)).ToList();
            CpuOps.Instance.AdamW(slots, step);
            return slots.Select(s => s.Master.ToArray()).ToArray();
        }
        finally { foreach (var t in tensors) t.Dispose(); }
    }

    private void GradNormIsDeterministicAndRight()
    {
        int[] sizes = { 5000, 3, 1024 };
        var g = sizes.Select(n => RoundBf16(Rand(n))).ToArray();
        var gd = g.Select(Bf16).ToArray();
        using var sizesD = DeviceBuffer.FromHost<long>(_ctx, sizes.Select(n => (long)n).ToArray());
        using var gArr = DeviceBuffer.FromHost<ulong>(_ctx, gd.Select(b => b.Pointer).ToArray());
        const int blocksPerTensor = 8;
        using var partials = PoisonedF32(blocksPerTensor * sizes.Length);
        Launch("grad_norm", "grad_sumsq_partial_bf16", new Dim3(blocksPerTensor, (uint)sizes.Length), 256, 0,
            new KernelArgs().Ptr(sizesD).Ptr(gArr).Ptr(partials));
        using var per = PoisonedF32(sizes.Length);
        using var total = PoisonedF32(1);
        using var norm = PoisonedF32(1);
        Launch("grad_norm", "grad_norm_finalize", 1, 256, 0,
            new KernelArgs().Ptr(partials).Int(sizes.Length).Int(blocksPerTensor).Ptr(per).Ptr(total).Ptr(norm));
        var cpu = g.Select(t => { using var x = Tensor.FromArray(t, t.Length); return CpuOps.SumOfSquares(new[] { x }); }).ToArray();
        Record("grad_norm per tensor", ReadF32(per, sizes.Length), cpu, Tolerances.Fp32Result);
        Record("grad_norm", ReadF32(norm, 1), new[] { Math.Sqrt(cpu.Sum(x => (double)x)) }, Tolerances.Fp32Result);
        foreach (var b in gd) b.Dispose();
    }

    private void CublasLtGemmMatchesCpu()
    {
        if (!CublasLt.IsAvailable) { Skip("cublasLt linear", $"no cuBLASLt: {CublasLt.UnavailableReason}"); return; }
        int m = 33, n = 70, k = 64;
        var c = OpCases.Linear(m, k, n, bias: false);
        var (x, r) = Reference(c);
        using var xd = Bf16(x[0]);
        using var wd = Bf16(x[1]);
        using var yd = PoisonedBf16(m * n);
        using var gemm = new CublasLtGemm(_ctx);
        gemm.Run(new GemmShape(m, n, k, TransB: true), xd.Pointer, wd.Pointer, yd.Pointer);   // y = x W^T
        _ctx.Synchronize();
        Record("cublasLt linear", ReadBf16(yd, m * n), r.Output, c.ForwardTolerance);
        gemm.Run(new GemmShape(m, n, k, TransB: true), xd.Pointer, wd.Pointer, yd.Pointer);
        Require("cublasLt plan cached per shape", gemm.PlanCount == 1, $"{gemm.PlanCount} plans for one shape");
        CublasLtEpiloguesMatchCpu(gemm, m, k, n);
    }

    /// <summary>
    /// The fused Linear paths on the linear+bias case: y = x W^T + b through the BIAS epilogue; dW = dy^T x written
    /// (beta = 0) then accumulated (beta = 1) into one fp32 buffer, the bias gradient from the same call's BGRADB.
    /// A path cuBLASLt refuses on this card is a skip naming it (the backend falls back to the separate kernels).
    /// </summary>
    private void CublasLtEpiloguesMatchCpu(CublasLtGemm gemm, int rows, int inF, int outF)
    {
        var c = OpCases.Linear(rows, inF, outF, bias: true);
        var (x, r) = Reference(c);
        using var xd = Bf16(x[0]);
        using var wd = Bf16(x[1]);
        using var bd = Bf16(x[2]);
        using var dyd = Bf16(r.Seed!);
        using var yd = PoisonedBf16(rows * outF);
        var f = LinearPlan.Forward(rows, inF, outF);
        if (gemm.TryRun(new GemmShape(f.M, f.N, f.K, f.TransA, f.TransB, f.Lda, f.Ldb, f.Ldc, Epilogue: GemmEpilogue.AddColumnBias), xd.Pointer, wd.Pointer, yd.Pointer,
                vector: bd.Pointer))
            Record("cublasLt linear+bias (BIAS epilogue)", ReadBf16(yd, rows * outF), r.Output, c.ForwardTolerance);
        else Skip("cublasLt linear+bias (BIAS epilogue)", "cuBLASLt has no BIAS algorithm here: Linear adds the bias with add_bf16");

        var g = LinearPlan.GradW(rows, inF, outF);
        var shape = new GemmShape(g.M, g.N, g.K, g.TransA, g.TransB, g.Lda, g.Ldb, g.Ldc, OutF32: true, Epilogue: GemmEpilogue.RowSumsOfA);
        using var gw = PoisonedF32((long)outF * inF);
        using var gb = PoisonedF32(outF);
        if (!gemm.TryRun(shape, dyd.Pointer, xd.Pointer, gw.Pointer, 1f, 0f, gb.Pointer))
        {
            Skip("cublasLt dW + BGRADB", "cuBLASLt has no BGRADB algorithm with an fp32 D here: the bias gradient is a separate reduction");
            shape = shape with { Epilogue = GemmEpilogue.None };
            gemm.Run(shape, dyd.Pointer, xd.Pointer, gw.Pointer, 1f, 0f);
        }
        else Record("cublasLt bias gradient (BGRADB epilogue, fp32)", ReadF32(gb, outF), r.Grads[2]!, c.BackwardTolerance);
        Record("cublasLt dW into fp32 (beta = 0)", ReadF32(gw, outF * inF), r.Grads[1]!, c.BackwardTolerance);
        gemm.Run(shape, dyd.Pointer, xd.Pointer, gw.Pointer, 1f, 1f, shape.Epilogue == GemmEpilogue.None ? 0 : gb.Pointer);
        Record("cublasLt dW accumulated in fp32 (beta = 1, a second micro-batch)", ReadF32(gw, outF * inF), r.Grads[1]!.Select(v => 2 * v).ToArray(),
            c.BackwardTolerance);
    }

    private void EventsTimeWork()
    {
        using var start = new CudaEvent();
        using var end = new CudaEvent();
        using var buf = _ctx.Allocate(64L * 1024 * 1024);
        start.Record(_ctx.Stream);
        buf.Clear();
        end.Record(_ctx.Stream);
        var ms = CudaEvent.ElapsedMilliseconds(start, end);
        Require("events time a memset", ms >= 0f, $"{ms} ms");
    }
}
