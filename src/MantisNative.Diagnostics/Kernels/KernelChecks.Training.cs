using MantisNative.Interop;

using MantisNative.Backends.Cuda;

namespace MantisNative.Diagnostics.Kernels;

// Loss, optimizer, gradient norm, cuBLASLt GEMM and event timing. Inputs are fresh random values, outputs poisoned first, references in double.
internal sealed partial class KernelChecks
{
    private void CrossEntropyOverTwoVocabularyChunks()
    {
        int rows = 9, vocab = 1000, chunk = 600;
        var logits = RoundBf16(Rand(rows * vocab, 5f));
        var targets = Enumerable.Range(0, rows).Select(r => r == 3 ? -100 : _rng.Next(vocab)).ToArray();
        targets[0] = 599; targets[1] = 600;   // both sides of the chunk boundary
        int valid = targets.Count(t => t != -100);
        using var ld = Bf16(logits);
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

        var wantLoss = new double[rows];
        var wantGrad = new double[rows * vocab];
        for (int r = 0; r < rows; r++)
        {
            if (targets[r] == -100) continue;
            double m = double.NegativeInfinity;
            for (int j = 0; j < vocab; j++) m = Math.Max(m, logits[r * vocab + j]);
            double s = 0;
            for (int j = 0; j < vocab; j++) s += Math.Exp(logits[r * vocab + j] - m);
            double l = m + Math.Log(s);
            wantLoss[r] = l - logits[r * vocab + targets[r]];
            for (int j = 0; j < vocab; j++)
                wantGrad[r * vocab + j] = (Math.Exp(logits[r * vocab + j] - l) - (j == targets[r] ? 1 : 0)) / valid;
        }
        Record("cross_entropy loss", ReadF32(loss, rows), wantLoss, 1e-5);
        Record("cross_entropy grad", ReadBf16(grad, rows * vocab), wantGrad, 1e-2);
    }

    private void AdamWMultiTensorStep()
    {
        int[] sizes = { 1000, 37 };
        float lr = 1e-2f, b1 = 0.9f, b2 = 0.999f, eps = 1e-8f, wd = 0.1f;
        int step = 3;
        float bc1 = 1 - MathF.Pow(b1, step), bc2 = 1 - MathF.Pow(b2, step);
        var p = sizes.Select(n => Rand(n)).ToArray();
        var g = sizes.Select(n => RoundBf16(Rand(n))).ToArray();
        var m = sizes.Select(n => Rand(n, 0.1f)).ToArray();
        var v = sizes.Select(n => Rand(n, 0.1f).Select(Math.Abs).ToArray()).ToArray();
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
            .Float(lr).Float(b1).Float(b2).Float(eps).Float(wd).Float(bc1).Float(bc2).Float(1f));
        for (int t = 0; t < sizes.Length; t++)
        {
            var want = new double[sizes[t]];
            for (int i = 0; i < sizes[t]; i++)
            {
                double pi = p[t][i] * (1 - (double)lr * wd);
                double mi = b1 * (double)m[t][i] + (1 - b1) * (double)g[t][i];
                double vi = b2 * (double)v[t][i] + (1 - b2) * (double)g[t][i] * g[t][i];
                want[i] = pi - lr * (mi / bc1) / (Math.Sqrt(vi / bc2) + eps);
            }
            Record($"adamw tensor {t}", ReadF32(pd[t], sizes[t]), want, 1e-6);
            Record($"adamw tensor {t} bf16 copy", ReadBf16(pb[t], sizes[t]), want, 1e-2);
        }
        foreach (var b in pd.Concat(gd).Concat(md).Concat(vd).Concat(pb)) b.Dispose();
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
        var wantPer = g.Select(t => t.Sum(x => (double)x * x)).ToArray();
        Record("grad_norm per tensor", ReadF32(per, sizes.Length), wantPer, 1e-5);
        Record("grad_norm", ReadF32(norm, 1), new[] { Math.Sqrt(wantPer.Sum()) }, 1e-5);
        foreach (var b in gd) b.Dispose();
    }

    private void CublasLtGemmMatchesCpu()
    {
        if (!CublasLt.IsAvailable) { Skip("cublasLt linear", $"no cuBLASLt: {CublasLt.UnavailableReason}"); return; }
        int m = 33, n = 70, k = 64;
        var x = RoundBf16(Rand(m * k));
        var w = RoundBf16(Rand(n * k));
        using var xd = Bf16(x);
        using var wd = Bf16(w);
        using var yd = PoisonedBf16(m * n);
        using var gemm = new CublasLtGemm(_ctx);
        gemm.Run(new GemmShape(m, n, k, TransB: true), xd.Pointer, wd.Pointer, yd.Pointer);   // y = x W^T
        _ctx.Synchronize();
        var want = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int t = 0; t < k; t++) s += (double)x[i * k + t] * w[j * k + t];
                want[i * n + j] = s;
            }
        Record("cublasLt linear", ReadBf16(yd, m * n), want, 1e-2);
        gemm.Run(new GemmShape(m, n, k, TransB: true), xd.Pointer, wd.Pointer, yd.Pointer);
        Require("cublasLt plan cached per shape", gemm.PlanCount == 1, $"{gemm.PlanCount} plans for one shape");
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
