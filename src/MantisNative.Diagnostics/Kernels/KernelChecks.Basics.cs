using MantisNative.Interop;
using MantisNative.Tensors;

using MantisNative.Backends.Cuda;

namespace MantisNative.Diagnostics.Kernels;

// Buffers, casts and the elementwise families. Inputs are fresh random values, outputs poisoned first, references in double.
internal sealed partial class KernelChecks
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
        // 7 blocks of 8 table rows: several blocks, the last one partly past the table
        Launch("embedding", "embedding_backward", 7, 64, 0,
            new KernelArgs().Ptr(god).Ptr(idd).Ptr(gtd).Long(tokens).Int(dim).Int(vocab).Int(8));
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
