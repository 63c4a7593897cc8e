using MantisNative.Interop;
using MantisNative.Tensors;

namespace MantisNative.Backends.Cuda.Checks;

// The checks themselves: each op family on fresh random inputs, outputs poisoned with NaN first, compared with a
// double-precision CPU reference written out here (independent of the tensor engine's CPU ops).
public sealed partial class KernelChecks
{
    private void BuffersRoundTrip()
    {
        var x = Rand(1000);
        using var b = F32(x);
        Exact("buffer f32 round trip", ReadF32(b, x.Length), x);
        var bits = Enumerable.Range(0, 777).Select(i => (ushort)(i * 31)).ToArray();
        using var c = DeviceBuffer.FromHost<ushort>(_ctx, bits);
        var back = new ushort[bits.Length];
        c.CopyTo(back.AsSpan());
        Exact("buffer u16 round trip", back, bits);
    }

    private void CastMatchesHostRounding()
    {
        var x = Rand(4099, 100f).Concat(new[] { 0f, -0f, float.PositiveInfinity, float.NegativeInfinity, 1e-40f }).ToArray();
        using var xd = F32(x);
        using var yd = PoisonedBf16(x.Length);
        Launch("cast", "cast_f32_to_bf16", Blocks(x.Length), 256, 0, new KernelArgs().Ptr(xd).Ptr(yd).Long(x.Length));
        var bits = new ushort[x.Length];
        yd.CopyTo(bits.AsSpan());
        var want = new ushort[x.Length];
        FloatConversion.ToBFloat16(x, want);
        Exact("cast_f32_to_bf16 (bits)", bits, want);
        using var back = PoisonedF32(x.Length);
        Launch("cast", "cast_bf16_to_f32", Blocks(x.Length), 256, 0, new KernelArgs().Ptr(yd).Ptr(back).Long(x.Length));
        Exact("cast_bf16_to_f32", ReadF32(back, x.Length), RoundBf16(x));
    }

    private void AddBroadcastsOverTrailingDims()
    {
        int rows = 33, cols = 70;
        var a = RoundBf16(Rand(rows * cols));
        var b = RoundBf16(Rand(cols));
        using var ad = Bf16(a);
        using var bd = Bf16(b);
        using var yd = PoisonedBf16(a.Length);
        Launch("elementwise", "add_bf16", Blocks(a.Length), 256, 0, new KernelArgs().Ptr(ad).Ptr(bd).Ptr(yd).Long(a.Length).Long(cols));
        Record("add_bf16", ReadBf16(yd, a.Length), a.Select((v, i) => (double)v + b[i % cols]).ToArray(), 1e-2);
        using var gb = PoisonedBf16(cols);
        Launch("elementwise", "add_backward_broadcast_bf16", Blocks(cols), 256, 0, new KernelArgs().Ptr(ad).Ptr(gb).Long(a.Length).Long(cols));
        var want = new double[cols];
        for (int i = 0; i < a.Length; i++) want[i % cols] += a[i];
        Record("add_backward_broadcast", ReadBf16(gb, cols), want, 1e-2);
    }

    private void RmsNormForwardAndBackward()
    {
        int rows = 17, dim = 1000;
        float eps = 1e-5f;
        var x = RoundBf16(Rand(rows * dim, 2f));
        var w = RoundBf16(Rand(dim));
        var gy = RoundBf16(Rand(rows * dim));
        using var xd = Bf16(x);
        using var wd = Bf16(w);
        using var gyd = Bf16(gy);
        using var yd = PoisonedBf16(x.Length);
        using var rstd = PoisonedF32(rows);
        int threads = LaunchGeometry.RowThreads(dim);
        Launch("rmsnorm", "rmsnorm_forward", LaunchGeometry.RowBlocks(rows, _ctx.Device.MultiprocessorCount), threads, 0,
            new KernelArgs().Ptr(xd).Ptr(wd).Ptr(yd).Ptr(rstd).Int(rows).Int(dim).Float(eps));
        using var gxd = PoisonedBf16(x.Length);
        using var gwd = ZeroF32(dim);
        Launch("rmsnorm", "rmsnorm_backward", 4, threads, (uint)(dim * 4),
            new KernelArgs().Ptr(gyd).Ptr(xd).Ptr(wd).Ptr(rstd).Ptr(gxd).Ptr(gwd).Int(rows).Int(dim));

        var y = new double[x.Length];
        var gx = new double[x.Length];
        var gw = new double[dim];
        for (int r = 0; r < rows; r++)
        {
            double ss = 0;
            for (int j = 0; j < dim; j++) ss += (double)x[r * dim + j] * x[r * dim + j];
            double rs = 1 / Math.Sqrt(ss / dim + eps);
            double dot = 0;
            for (int j = 0; j < dim; j++) dot += (double)gy[r * dim + j] * w[j] * x[r * dim + j];
            dot /= dim;
            for (int j = 0; j < dim; j++)
            {
                int i = r * dim + j;
                y[i] = x[i] * rs * w[j];
                gx[i] = rs * gy[i] * w[j] - x[i] * dot * rs * rs * rs;
                gw[j] += gy[i] * x[i] * rs;
            }
        }
        Record("rmsnorm_forward", ReadBf16(yd, x.Length), y, 1e-2);
        Record("rmsnorm_backward dx", ReadBf16(gxd, x.Length), gx, 1e-2);
        Record("rmsnorm_backward dw", ReadF32(gwd, dim), gw, 1e-4);
    }

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

    private void AttentionForwardAndBackward(int d, bool causal, int sq, int sk)
    {
        int batch = 2, heads = 4, kvHeads = 2, group = heads / kvHeads;
        float scale = 1f / MathF.Sqrt(d);
        var kvLens = new[] { sk, Math.Max(1, sk - 13) };
        var q = RoundBf16(Rand(batch * sq * heads * d));
        var k = RoundBf16(Rand(batch * sk * kvHeads * d));
        var v = RoundBf16(Rand(batch * sk * kvHeads * d));
        var dout = RoundBf16(Rand(batch * sq * heads * d));
        using var qd = Bf16(q);
        using var kd = Bf16(k);
        using var vd = Bf16(v);
        using var dod = Bf16(dout);
        using var lensd = I32(kvLens);
        using var od = PoisonedBf16(q.Length);
        using var lsed = PoisonedF32(batch * heads * sq);
        Launch("attention", AttentionLaunch.ForwardFunction(d), AttentionLaunch.ForwardGrid(batch, heads, sq), AttentionLaunch.Threads, 0,
            new KernelArgs().Ptr(qd).Ptr(kd).Ptr(vd).Ptr(od).Ptr(lsed).Int(heads).Int(kvHeads).Int(sq).Int(sk)
                .Float(scale).Int(causal ? 1 : 0).Ptr(lensd).Ptr(0UL));
        using var delta = PoisonedF32(batch * heads * sq);
        Launch("attention", "attention_backward_delta", AttentionLaunch.DeltaGrid(batch, heads, sq, _ctx.Device.MultiprocessorCount),
            AttentionLaunch.Threads, 0, new KernelArgs().Ptr(od).Ptr(dod).Ptr(delta).Int(batch).Int(heads).Int(sq).Int(d));
        using var dq = ZeroF32(q.Length);
        using var dk = ZeroF32(k.Length);
        using var dv = ZeroF32(v.Length);
        Launch("attention", AttentionLaunch.BackwardFunction(d), AttentionLaunch.BackwardGrid(batch, heads, sk), AttentionLaunch.Threads,
            AttentionLaunch.BackwardSharedBytes(d),
            new KernelArgs().Ptr(qd).Ptr(kd).Ptr(vd).Ptr(dod).Ptr(lsed).Ptr(delta).Ptr(dq).Ptr(dk).Ptr(dv)
                .Int(heads).Int(kvHeads).Int(sq).Int(sk).Float(scale).Int(causal ? 1 : 0).Ptr(lensd).Ptr(0UL));

        var o = new double[q.Length];
        var lse = new double[batch * heads * sq];
        var gq = new double[q.Length];
        var gk = new double[k.Length];
        var gv = new double[v.Length];
        for (int b = 0; b < batch; b++)
            for (int h = 0; h < heads; h++)
            {
                int hk = h / group;
                for (int i = 0; i < sq; i++)
                {
                    long qo = ((long)(b * sq + i) * heads + h) * d;
                    var vis = Enumerable.Range(0, sk).Where(j => j < kvLens[b] && (!causal || j <= i + sk - sq)).ToArray();
                    var s = vis.Select(j =>
                    {
                        long ko = ((long)(b * sk + j) * kvHeads + hk) * d;
                        double dot = 0;
                        for (int e = 0; e < d; e++) dot += (double)q[qo + e] * k[ko + e];
                        return dot * scale;
                    }).ToArray();
                    int row = (b * heads + h) * sq + i;
                    if (vis.Length == 0) { lse[row] = double.NegativeInfinity; continue; }
                    double m = s.Max(), sum = s.Sum(x => Math.Exp(x - m));
                    lse[row] = m + Math.Log(sum);
                    var p = s.Select(x => Math.Exp(x - m) / sum).ToArray();
                    var dp = new double[vis.Length];
                    for (int t = 0; t < vis.Length; t++)
                    {
                        long ko = ((long)(b * sk + vis[t]) * kvHeads + hk) * d;
                        for (int e = 0; e < d; e++) { o[qo + e] += p[t] * v[ko + e]; dp[t] += (double)dout[qo + e] * v[ko + e]; }
                    }
                    double dsum = 0;
                    for (int t = 0; t < vis.Length; t++) dsum += p[t] * dp[t];
                    for (int t = 0; t < vis.Length; t++)
                    {
                        long ko = ((long)(b * sk + vis[t]) * kvHeads + hk) * d;
                        double ds = p[t] * (dp[t] - dsum);
                        for (int e = 0; e < d; e++)
                        {
                            gq[qo + e] += scale * ds * k[ko + e];
                            gk[ko + e] += scale * ds * q[qo + e];
                            gv[ko + e] += p[t] * dout[qo + e];
                        }
                    }
                }
            }
        string tag = $"attention d{d} {(causal ? "causal" : "bidir")} {sq}x{sk}";
        Record($"{tag} o", ReadBf16(od, q.Length), o, 1e-2);
        Record($"{tag} lse", ReadF32(lsed, lse.Length), lse, 1e-4);
        Record($"{tag} dq", ReadF32(dq, q.Length), gq, 2e-2);
        Record($"{tag} dk", ReadF32(dk, k.Length), gk, 2e-2);
        Record($"{tag} dv", ReadF32(dv, v.Length), gv, 2e-2);
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

    private void LayerNormForwardAndBackward()
    {
        int rows = 11, dim = 768;
        float eps = 1e-6f;
        var x = RoundBf16(Rand(rows * dim, 3f).Select(v => v + 0.5f).ToArray());
        var w = RoundBf16(Rand(dim));
        var bias = RoundBf16(Rand(dim));
        var gy = RoundBf16(Rand(rows * dim));
        using var xd = Bf16(x);
        using var wd = Bf16(w);
        using var bd = Bf16(bias);
        using var gyd = Bf16(gy);
        using var yd = PoisonedBf16(x.Length);
        using var mean = PoisonedF32(rows);
        using var rstd = PoisonedF32(rows);
        int threads = LaunchGeometry.RowThreads(dim);
        Launch("layernorm", "layernorm_forward", (uint)rows, threads, 0,
            new KernelArgs().Ptr(xd).Ptr(wd).Ptr(bd).Ptr(yd).Ptr(mean).Ptr(rstd).Int(rows).Int(dim).Float(eps));
        using var gxd = PoisonedBf16(x.Length);
        using var gwd = ZeroF32(dim);
        using var gbd = ZeroF32(dim);
        Launch("layernorm", "layernorm_backward", 3, threads, (uint)(2 * dim * 4),
            new KernelArgs().Ptr(gyd).Ptr(xd).Ptr(wd).Ptr(mean).Ptr(rstd).Ptr(gxd).Ptr(gwd).Ptr(gbd).Int(rows).Int(dim));
        var y = new double[x.Length];
        var gx = new double[x.Length];
        var gw = new double[dim];
        var gb = new double[dim];
        for (int r = 0; r < rows; r++)
        {
            double mu = 0, var = 0;
            for (int j = 0; j < dim; j++) mu += x[r * dim + j];
            mu /= dim;
            for (int j = 0; j < dim; j++) var += (x[r * dim + j] - mu) * (x[r * dim + j] - mu);
            double rs = 1 / Math.Sqrt(var / dim + eps);
            double s1 = 0, s2 = 0;
            for (int j = 0; j < dim; j++)
            {
                int i = r * dim + j;
                double xh = (x[i] - mu) * rs;
                y[i] = xh * w[j] + bias[j];
                s1 += gy[i] * w[j];
                s2 += gy[i] * w[j] * xh;
                gw[j] += gy[i] * xh;
                gb[j] += gy[i];
            }
            s1 /= dim; s2 /= dim;
            for (int j = 0; j < dim; j++)
            {
                int i = r * dim + j;
                double xh = (x[i] - mu) * rs;
                gx[i] = rs * (gy[i] * w[j] - s1 - xh * s2);
            }
        }
        Record("layernorm_forward", ReadBf16(yd, x.Length), y, 1e-2);
        Record("layernorm_backward dx", ReadBf16(gxd, x.Length), gx, 1e-2);
        Record("layernorm_backward dw", ReadF32(gwd, dim), gw, 1e-4);
        Record("layernorm_backward db", ReadF32(gbd, dim), gb, 1e-5);
    }

    private void RopeForwardAndBackward()
    {
        int batch = 2, seq = 7, heads = 3, hd = 64, half = hd / 2, maxPos = 32;
        var x = RoundBf16(Rand(batch * seq * heads * hd));
        var positions = Enumerable.Range(0, batch * seq).Select(i => (i % seq) + (i / seq) * 5).ToArray();
        var cos = new float[maxPos * half];
        var sin = new float[maxPos * half];
        for (int p = 0; p < maxPos; p++)
            for (int k = 0; k < half; k++)
            {
                double theta = p * Math.Pow(500000.0, -2.0 * k / hd);
                cos[p * half + k] = (float)Math.Cos(theta);
                sin[p * half + k] = (float)Math.Sin(theta);
            }
        using var xd = Bf16(x);
        using var cd = F32(cos);
        using var sd = F32(sin);
        using var pd = I32(positions);
        using var yd = PoisonedBf16(x.Length);
        long pairs = (long)batch * seq * heads * half;
        Launch("rope", "rope_forward", Blocks(pairs), 256, 0,
            new KernelArgs().Ptr(xd).Ptr(yd).Ptr(cd).Ptr(sd).Ptr(pd).Int(batch).Int(seq).Int(heads).Int(hd));
        var want = new double[x.Length];
        for (int row = 0; row < batch * seq * heads; row++)
        {
            int pos = positions[row / heads];
            for (int k = 0; k < half; k++)
            {
                double c = cos[pos * half + k], s = sin[pos * half + k];
                double x1 = x[row * hd + k], x2 = x[row * hd + k + half];
                want[row * hd + k] = x1 * c - x2 * s;
                want[row * hd + k + half] = x2 * c + x1 * s;
            }
        }
        Record("rope_forward", ReadBf16(yd, x.Length), want, 1e-2);
        // The backward is the inverse rotation: applied to y it gives x back (in place, y -> y).
        Launch("rope", "rope_backward", Blocks(pairs), 256, 0,
            new KernelArgs().Ptr(yd).Ptr(yd).Ptr(cd).Ptr(sd).Ptr(pd).Int(batch).Int(seq).Int(heads).Int(hd));
        Record("rope_backward(rope_forward(x))", ReadBf16(yd, x.Length), x.Select(v => (double)v).ToArray(), 1e-2);
    }

    private void SwigluAndGeluForwardAndBackward()
    {
        int n = 5000;
        var a = RoundBf16(Rand(n, 4f));
        var u = RoundBf16(Rand(n, 2f));
        var gy = RoundBf16(Rand(n));
        using var ad = Bf16(a);
        using var ud = Bf16(u);
        using var gyd = Bf16(gy);
        using var y = PoisonedBf16(n);
        using var g1 = PoisonedBf16(n);
        using var g2 = PoisonedBf16(n);
        double Sig(double v) => 1 / (1 + Math.Exp(-v));
        Launch("swiglu", "swiglu_forward", Blocks(n), 256, 0, new KernelArgs().Ptr(ad).Ptr(ud).Ptr(y).Long(n));
        Record("swiglu_forward", ReadBf16(y, n), a.Select((g, i) => g * Sig(g) * u[i]).ToArray(), 1e-2);
        Launch("swiglu", "swiglu_backward", Blocks(n), 256, 0, new KernelArgs().Ptr(gyd).Ptr(ad).Ptr(ud).Ptr(g1).Ptr(g2).Long(n));
        Record("swiglu_backward gate", ReadBf16(g1, n), a.Select((g, i) => gy[i] * u[i] * Sig(g) * (1 + g * (1 - Sig(g)))).ToArray(), 1e-2);
        Record("swiglu_backward up", ReadBf16(g2, n), a.Select((g, i) => gy[i] * g * Sig(g)).ToArray(), 1e-2);

        var gelus = new (string Name, Func<double, double> F)[]
        {
            ("gelu_erf", v => 0.5 * v * (1 + Erf(v / Math.Sqrt(2)))),
            ("gelu_tanh", v => 0.5 * v * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)))),
            ("gelu_quick", v => v * Sig(1.702 * v)),
        };
        foreach (var (name, f) in gelus)
        {
            y.Fill32(NaNBf16Pair);
            g1.Fill32(NaNBf16Pair);
            Launch("gelu", $"{name}_forward", Blocks(n), 256, 0, new KernelArgs().Ptr(ad).Ptr(y).Long(n));
            Record($"{name}_forward", ReadBf16(y, n), a.Select(v => f(v)).ToArray(), 1e-2);
            Launch("gelu", $"{name}_backward", Blocks(n), 256, 0, new KernelArgs().Ptr(gyd).Ptr(ad).Ptr(g1).Long(n));
            const double h = 1e-4;
            Record($"{name}_backward", ReadBf16(g1, n), a.Select((v, i) => gy[i] * (f(v + h) - f(v - h)) / (2 * h)).ToArray(), 1e-2);
        }
    }

    private void SoftmaxForwardAndBackward()
    {
        int rows = 13, cols = 2000;
        float scale = 0.5f;
        var x = RoundBf16(Rand(rows * cols, 6f));
        var gy = RoundBf16(Rand(rows * cols));
        using var xd = Bf16(x);
        using var gyd = Bf16(gy);
        using var yd = PoisonedBf16(x.Length);
        using var gxd = PoisonedBf16(x.Length);
        Launch("softmax", "softmax_forward", (uint)rows, 256, 0, new KernelArgs().Ptr(xd).Ptr(yd).Int(rows).Int(cols).Float(scale));
        var y = new double[x.Length];
        for (int r = 0; r < rows; r++)
        {
            double m = double.NegativeInfinity, s = 0;
            for (int j = 0; j < cols; j++) m = Math.Max(m, scale * x[r * cols + j]);
            for (int j = 0; j < cols; j++) s += Math.Exp(scale * x[r * cols + j] - m);
            for (int j = 0; j < cols; j++) y[r * cols + j] = Math.Exp(scale * x[r * cols + j] - m) / s;
        }
        var yGot = ReadBf16(yd, x.Length);
        Record("softmax_forward", yGot, y, 1e-2);
        Launch("softmax", "softmax_backward", (uint)rows, 256, 0, new KernelArgs().Ptr(gyd).Ptr(yd).Ptr(gxd).Int(rows).Int(cols).Float(scale));
        var gx = new double[x.Length];
        for (int r = 0; r < rows; r++)
        {
            double dot = 0;
            for (int j = 0; j < cols; j++) dot += (double)gy[r * cols + j] * yGot[r * cols + j];
            for (int j = 0; j < cols; j++) gx[r * cols + j] = scale * yGot[r * cols + j] * (gy[r * cols + j] - dot);
        }
        Record("softmax_backward", ReadBf16(gxd, x.Length), gx, 1e-2);
    }

    private void EmbeddingGatherAndScatterAdd()
    {
        int vocab = 50, dim = 96, tokens = 40;
        var table = RoundBf16(Rand(vocab * dim));
        var ids = Enumerable.Range(0, tokens).Select(i => i % 7 == 0 ? 3 : _rng.Next(vocab)).ToArray();
        var gout = RoundBf16(Rand(tokens * dim));
        using var td = Bf16(table);
        using var idd = I32(ids);
        using var god = Bf16(gout);
        using var outd = PoisonedBf16(tokens * dim);
        using var gtd = ZeroF32(vocab * dim);
        Launch("embedding", "embedding_forward", Blocks(tokens * dim), 256, 0,
            new KernelArgs().Ptr(td).Ptr(idd).Ptr(outd).Long(tokens).Int(dim).Int(vocab));
        Launch("embedding", "embedding_backward", Blocks(tokens * dim), 256, 0,
            new KernelArgs().Ptr(god).Ptr(idd).Ptr(gtd).Long(tokens).Int(dim).Int(vocab));
        var want = new double[tokens * dim];
        var gwant = new double[vocab * dim];
        for (int t = 0; t < tokens; t++)
            for (int j = 0; j < dim; j++)
            {
                want[t * dim + j] = table[ids[t] * dim + j];
                gwant[ids[t] * dim + j] += gout[t * dim + j];
            }
        Record("embedding_forward", ReadBf16(outd, tokens * dim), want, 1e-6);
        Record("embedding_backward", ReadF32(gtd, vocab * dim), gwant, 1e-6);
    }

    private void PatchIm2ColMatchesConvLayout()
    {
        int images = 2, channels = 3, size = 28, patch = 14, grid = size / patch;
        var px = RoundBf16(Rand(images * channels * size * size));
        using var pd = Bf16(px);
        int rowLen = channels * patch * patch, nPatches = images * grid * grid;
        using var cols = PoisonedBf16(nPatches * rowLen);
        Launch("patch_embed", "patch_im2col", Blocks((long)nPatches * rowLen), 256, 0,
            new KernelArgs().Ptr(pd).Ptr(cols).Int(images).Int(channels).Int(size).Int(size).Int(patch));
        var want = new double[nPatches * rowLen];
        for (int img = 0; img < images; img++)
            for (int py = 0; py < grid; py++)
                for (int pxi = 0; pxi < grid; pxi++)
                    for (int c = 0; c < channels; c++)
                        for (int ky = 0; ky < patch; ky++)
                            for (int kx = 0; kx < patch; kx++)
                                want[((img * grid + py) * grid + pxi) * rowLen + (c * patch + ky) * patch + kx] =
                                    px[((img * channels + c) * size + py * patch + ky) * size + pxi * patch + kx];
        Record("patch_im2col", ReadBf16(cols, want.Length), want, 1e-7);
        using var back = PoisonedBf16(px.Length);
        Launch("patch_embed", "patch_col2im", Blocks((long)nPatches * rowLen), 256, 0,
            new KernelArgs().Ptr(cols).Ptr(back).Int(images).Int(channels).Int(size).Int(size).Int(patch));
        Record("patch_col2im", ReadBf16(back, px.Length), px.Select(v => (double)v).ToArray(), 1e-7);
    }
}
