using MantisNative.Interop;
using MantisNative.Backends;
using MantisNative.Tensors;

using MantisNative.Backends.Cuda;

namespace MantisNative.Diagnostics.Kernels;

// Buffers, casts and the elementwise families: op kernels on their OpCases inputs and CPU references, outputs poisoned first.
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
        var c = OpCases.AddBroadcast(rows, cols);
        var (x, r) = Reference(c);
        using var ad = Bf16(x[0]);
        using var bd = Bf16(x[1]);
        using var gyd = Bf16(r.Seed!);
        using var yd = PoisonedBf16(x[0].Length);
        Launch("elementwise", "add_bf16", Blocks(x[0].Length), 256, 0, new KernelArgs().Ptr(ad).Ptr(bd).Ptr(yd).Long(x[0].Length).Long(cols));
        Record("add_bf16", ReadBf16(yd, x[0].Length), r.Output, c.ForwardTolerance);
        using var gb = PoisonedBf16(cols);
        Launch("elementwise", "add_backward_broadcast_bf16", Blocks(cols), 256, 0, new KernelArgs().Ptr(gyd).Ptr(gb).Long(x[0].Length).Long(cols));
        Record("add_backward_broadcast", ReadBf16(gb, cols), r.Grads[1]!, c.BackwardTolerance);
    }

    private void SwigluAndGeluForwardAndBackward()
    {
        const int rows = 50, cols = 100, n = rows * cols;
        var c = OpCases.SwiGlu(rows, cols);
        var (x, r) = Reference(c);
        using var ad = Bf16(x[0]);
        using var ud = Bf16(x[1]);
        using var gyd = Bf16(r.Seed!);
        using var y = PoisonedBf16(n);
        using var g1 = PoisonedBf16(n);
        using var g2 = PoisonedBf16(n);
        Launch("swiglu", "swiglu_forward", Blocks(n), 256, 0, new KernelArgs().Ptr(ad).Ptr(ud).Ptr(y).Long(n));
        Record("swiglu_forward", ReadBf16(y, n), r.Output, c.ForwardTolerance);
        Launch("swiglu", "swiglu_backward", Blocks(n), 256, 0, new KernelArgs().Ptr(gyd).Ptr(ad).Ptr(ud).Ptr(g1).Ptr(g2).Long(n));
        Record("swiglu_backward gate", ReadBf16(g1, n), r.Grads[0]!, c.BackwardTolerance);
        Record("swiglu_backward up", ReadBf16(g2, n), r.Grads[1]!, c.BackwardTolerance);

        foreach (var (kind, name) in new[] { (GeluKind.Erf, "gelu_erf"), (GeluKind.Tanh, "gelu_tanh"), (GeluKind.Quick, "gelu_quick") })
        {
            var g = OpCases.Gelu(kind, rows, cols);
            var (gx, gr) = Reference(g);
            using var xd = Bf16(gx[0]);
            using var gd = Bf16(gr.Seed!);
            y.Fill32(NaNBf16Pair);
            g1.Fill32(NaNBf16Pair);
            Launch("gelu", $"{name}_forward", Blocks(n), 256, 0, new KernelArgs().Ptr(xd).Ptr(y).Long(n));
            Record($"{name}_forward", ReadBf16(y, n), gr.Output, g.ForwardTolerance);
            Launch("gelu", $"{name}_backward", Blocks(n), 256, 0, new KernelArgs().Ptr(gd).Ptr(xd).Ptr(g1).Long(n));
            Record($"{name}_backward", ReadBf16(g1, n), gr.Grads[0]!, g.BackwardTolerance);
        }
    }

    private void SoftmaxForwardAndBackward()
    {
        int rows = 13, cols = 2000;
        float scale = 0.5f;
        var c = OpCases.Softmax(rows, cols, scale);
        var (x, r) = Reference(c);
        using var xd = Bf16(x[0]);
        using var gyd = Bf16(r.Seed!);
        using var yd = PoisonedBf16(x[0].Length);
        using var gxd = PoisonedBf16(x[0].Length);
        Launch("softmax", "softmax_forward", (uint)rows, 256, 0, new KernelArgs().Ptr(xd).Ptr(yd).Int(rows).Int(cols).Float(scale));
        Record("softmax_forward", ReadBf16(yd, x[0].Length), r.Output, c.ForwardTolerance);
        Launch("softmax", "softmax_backward", (uint)rows, 256, 0, new KernelArgs().Ptr(gyd).Ptr(yd).Ptr(gxd).Int(rows).Int(cols).Float(scale));
        Record("softmax_backward", ReadBf16(gxd, x[0].Length), r.Grads[0]!, c.BackwardTolerance);
    }

    private void EmbeddingGatherAndScatterAdd()
    {
        int vocab = 50, dim = 96, tokens = 40;
        var ids = Enumerable.Range(0, tokens).Select(i => i % 7 == 0 ? 3 : _rng.Next(vocab)).ToArray();
        var c = OpCases.Embedding(vocab, dim, ids);
        var (x, r) = Reference(c);
        using var td = Bf16(x[0]);
        using var idd = I32(ids);
        using var god = Bf16(r.Seed!);
        using var outd = PoisonedBf16(tokens * dim);
        using var gtd = ZeroF32(vocab * dim);
        Launch("embedding", "embedding_forward", Blocks(tokens * dim), 256, 0,
            new KernelArgs().Ptr(td).Ptr(idd).Ptr(outd).Long(tokens).Int(dim).Int(vocab));
        Launch("embedding", "embedding_backward", Blocks(tokens * dim), 256, 0,
            new KernelArgs().Ptr(god).Ptr(idd).Ptr(gtd).Long(tokens).Int(dim).Int(vocab));
        Record("embedding_forward", ReadBf16(outd, tokens * dim), r.Output, c.ForwardTolerance);
        // the kernel's fp32 table gradient, before the op casts it to the table's dtype
        Record("embedding_backward", ReadF32(gtd, vocab * dim), r.Grads[0]!, Tolerances.Fp32ScatterAdd);
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
        Record("patch_im2col", ReadBf16(cols, want.Length), want, Tolerances.Exact);
        using var back = PoisonedBf16(px.Length);
        Launch("patch_embed", "patch_col2im", Blocks((long)nPatches * rowLen), 256, 0,
            new KernelArgs().Ptr(cols).Ptr(back).Int(images).Int(channels).Int(size).Int(size).Int(patch));
        Record("patch_col2im", ReadBf16(back, px.Length), px, Tolerances.Exact);
    }
}
