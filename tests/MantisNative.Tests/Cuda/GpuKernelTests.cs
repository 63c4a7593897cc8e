using MantisNative.Backends.Cuda;
using MantisNative.Interop;
using MantisNative.Tensors;
using NUnit.Framework;

namespace MantisNative.Tests.Cuda;

/// <summary>
/// Kernel-level checks on a real GPU against double-precision CPU references (skipped without a GPU or NVRTC).
/// Outputs are poisoned (NaN) before each launch so a kernel that skips an element fails. These are the first
/// things to run on the GPU machine; the tensor-level gpu-check builds on the same kernels.
/// </summary>
[Category("Gpu")]
[NonParallelizable]
public partial class GpuKernelTests
{
    private CudaContext _ctx = null!;
    private KernelRegistry _kernels = null!;
    private readonly Random _rng = new(1234);
    private const uint NaN32 = 0x7FC00000u;
    private const uint NaNBf16Pair = 0x7FC07FC0u;

    [OneTimeSetUp]
    public void Start()
    {
        if (!CudaDriver.IsAvailable) Assert.Ignore($"no CUDA driver: {CudaDriver.UnavailableReason}");
        if (!Nvrtc.IsAvailable) Assert.Ignore($"no NVRTC: {Nvrtc.UnavailableReason}");
        if (CudaDevice.Count == 0) Assert.Ignore("no CUDA device");
        _ctx = CudaContext.Create(0);
        var cache = new KernelModuleCache(new NvrtcKernelCompiler(), new KernelDiskCache(KernelDiskCache.DefaultDirectory()));
        _kernels = new KernelRegistry(_ctx, KernelCatalog.LoadDefault(), cache);
        TestContext.Out.WriteLine($"{_ctx.Device}, kernels for {_kernels.Target}");
    }

    [OneTimeTearDown]
    public void Stop()
    {
        _kernels?.Dispose();
        _ctx?.Dispose();
    }

    // ---- helpers -------------------------------------------------------------------------------------------

    private float[] Rand(int n, float scale = 1f) => Enumerable.Range(0, n).Select(_ => (float)(_rng.NextDouble() * 2 - 1) * scale).ToArray();

    /// <summary>Rounds to bf16 so the CPU reference sees exactly the GPU's inputs.</summary>
    private static float[] RoundBf16(float[] x) => x.Select(v => FloatConversion.FromBFloat16(FloatConversion.ToBFloat16(v))).ToArray();

    private DeviceBuffer Bf16(float[] x)
    {
        var bits = new ushort[x.Length];
        FloatConversion.ToBFloat16(x, bits);
        return DeviceBuffer.FromHost<ushort>(_ctx, bits);
    }

    private DeviceBuffer F32(float[] x) => DeviceBuffer.FromHost<float>(_ctx, x);
    private DeviceBuffer I32(int[] x) => DeviceBuffer.FromHost<int>(_ctx, x);

    private DeviceBuffer PoisonedBf16(long n)
    {
        var b = _ctx.Allocate(((n * 2) + 3) / 4 * 4);
        b.Fill32(NaNBf16Pair);
        return b;
    }

    private DeviceBuffer PoisonedF32(long n)
    {
        var b = _ctx.Allocate(n * 4);
        b.Fill32(NaN32);
        return b;
    }

    private DeviceBuffer ZeroF32(long n)
    {
        var b = _ctx.Allocate(n * 4);
        b.Clear();
        return b;
    }

    private float[] ReadBf16(DeviceBuffer b, int n)
    {
        var bits = new ushort[n];
        b.CopyTo(bits.AsSpan());
        var f = new float[n];
        FloatConversion.FromBFloat16(bits, f);
        return f;
    }

    private float[] ReadF32(DeviceBuffer b, int n)
    {
        var f = new float[n];
        b.CopyTo(f.AsSpan());
        return f;
    }

    private void Launch(string source, string fn, Dim3 grid, Dim3 block, uint smem, KernelArgs args)
    {
        KernelLauncher.Launch(_kernels.Get(source, fn), grid, block, smem, _ctx.Stream, args);
        _ctx.Synchronize();
    }

    private uint Blocks(long n) => LaunchGeometry.GridStrideBlocks(n, 256, _ctx.Device.MultiprocessorCount);

    private static double RelL2(float[] got, double[] want)
    {
        double num = 0, den = 0;
        for (int i = 0; i < want.Length; i++)
        {
            if (double.IsNaN(got[i])) return double.PositiveInfinity;
            num += (got[i] - want[i]) * (got[i] - want[i]);
            den += want[i] * want[i];
        }
        return Math.Sqrt(num / Math.Max(den, 1e-30));
    }

    private static void Close(string what, float[] got, double[] want, double tol)
    {
        var e = RelL2(got, want);
        TestContext.Out.WriteLine($"{what,-28} rel L2 {e:E2}");
        Assert.That(e, Is.LessThan(tol), what);
    }

    // ---- tests ---------------------------------------------------------------------------------------------

    [Test]
    public void BuffersRoundTrip()
    {
        var x = Rand(1000);
        using var b = F32(x);
        Assert.That(ReadF32(b, x.Length), Is.EqualTo(x));
        var bits = Enumerable.Range(0, 777).Select(i => (ushort)(i * 31)).ToArray();
        using var c = DeviceBuffer.FromHost<ushort>(_ctx, bits);
        var back = new ushort[bits.Length];
        c.CopyTo(back.AsSpan());
        Assert.That(back, Is.EqualTo(bits));
    }

    [Test]
    public void CastMatchesHostRounding()
    {
        var x = Rand(4099, 100f).Concat(new[] { 0f, -0f, float.PositiveInfinity, float.NegativeInfinity, 1e-40f }).ToArray();
        using var xd = F32(x);
        using var yd = PoisonedBf16(x.Length);
        Launch("cast", "cast_f32_to_bf16", Blocks(x.Length), 256, 0, new KernelArgs().Ptr(xd).Ptr(yd).Long(x.Length));
        var bits = new ushort[x.Length];
        yd.CopyTo(bits.AsSpan());
        var want = new ushort[x.Length];
        FloatConversion.ToBFloat16(x, want);
        Assert.That(bits, Is.EqualTo(want));
        using var back = PoisonedF32(x.Length);
        Launch("cast", "cast_bf16_to_f32", Blocks(x.Length), 256, 0, new KernelArgs().Ptr(yd).Ptr(back).Long(x.Length));
        Assert.That(ReadF32(back, x.Length), Is.EqualTo(RoundBf16(x)));
    }

    [Test]
    public void AddBroadcastsOverTrailingDims()
    {
        int rows = 33, cols = 70;
        var a = RoundBf16(Rand(rows * cols));
        var b = RoundBf16(Rand(cols));
        using var ad = Bf16(a);
        using var bd = Bf16(b);
        using var yd = PoisonedBf16(a.Length);
        Launch("elementwise", "add_bf16", Blocks(a.Length), 256, 0, new KernelArgs().Ptr(ad).Ptr(bd).Ptr(yd).Long(a.Length).Long(cols));
        Close("add_bf16", ReadBf16(yd, a.Length), a.Select((v, i) => (double)v + b[i % cols]).ToArray(), 1e-2);
        using var gb = PoisonedBf16(cols);
        Launch("elementwise", "add_backward_broadcast_bf16", Blocks(cols), 256, 0, new KernelArgs().Ptr(ad).Ptr(gb).Long(a.Length).Long(cols));
        var want = new double[cols];
        for (int i = 0; i < a.Length; i++) want[i % cols] += a[i];
        Close("add_backward_broadcast", ReadBf16(gb, cols), want, 1e-2);
    }

    [Test]
    public void RmsNormForwardAndBackward()
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
        Close("rmsnorm_forward", ReadBf16(yd, x.Length), y, 1e-2);
        Close("rmsnorm_backward dx", ReadBf16(gxd, x.Length), gx, 1e-2);
        Close("rmsnorm_backward dw", ReadF32(gwd, dim), gw, 1e-4);
    }

    [Test]
    public void CrossEntropyOverTwoVocabularyChunks()
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
        Close("cross_entropy loss", ReadF32(loss, rows), wantLoss, 1e-5);
        Close("cross_entropy grad", ReadBf16(grad, rows * vocab), wantGrad, 1e-2);
    }

    [TestCase(64, true, 37, 37)]
    [TestCase(80, false, 5, 37)]
    [TestCase(128, true, 50, 70)]
    [TestCase(72, false, 33, 33)]
    public void AttentionForwardAndBackward(int d, bool causal, int sq, int sk)
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
        Close($"{tag} o", ReadBf16(od, q.Length), o, 1e-2);
        Close($"{tag} lse", ReadF32(lsed, lse.Length), lse, 1e-4);
        Close($"{tag} dq", ReadF32(dq, q.Length), gq, 2e-2);
        Close($"{tag} dk", ReadF32(dk, k.Length), gk, 2e-2);
        Close($"{tag} dv", ReadF32(dv, v.Length), gv, 2e-2);
    }

    [Test]
    public void AdamWMultiTensorStep()
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
            Close($"adamw tensor {t}", ReadF32(pd[t], sizes[t]), want, 1e-6);
            Close($"adamw tensor {t} bf16 copy", ReadBf16(pb[t], sizes[t]), want, 1e-2);
        }
        foreach (var b in pd.Concat(gd).Concat(md).Concat(vd).Concat(pb)) b.Dispose();
    }

    [Test]
    public void GradNormIsDeterministicAndRight()
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
        Close("grad_norm per tensor", ReadF32(per, sizes.Length), wantPer, 1e-5);
        Close("grad_norm", ReadF32(norm, 1), new[] { Math.Sqrt(wantPer.Sum()) }, 1e-5);
        foreach (var b in gd) b.Dispose();
    }

    [Test]
    public void CublasLtGemmMatchesCpu()
    {
        if (!CublasLt.IsAvailable) Assert.Ignore($"no cuBLASLt: {CublasLt.UnavailableReason}");
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
        Close("cublasLt linear", ReadBf16(yd, m * n), want, 1e-2);
        gemm.Run(new GemmShape(m, n, k, TransB: true), xd.Pointer, wd.Pointer, yd.Pointer);
        Assert.That(gemm.PlanCount, Is.EqualTo(1), "the plan is cached per shape");
    }

    [Test]
    public void EventsTimeWork()
    {
        using var start = new CudaEvent();
        using var end = new CudaEvent();
        using var buf = _ctx.Allocate(64L * 1024 * 1024);
        start.Record(_ctx.Stream);
        buf.Clear();
        end.Record(_ctx.Stream);
        Assert.That(CudaEvent.ElapsedMilliseconds(start, end), Is.GreaterThanOrEqualTo(0f));
    }
}
