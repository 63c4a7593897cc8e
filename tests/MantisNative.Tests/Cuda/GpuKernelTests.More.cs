using MantisNative.Backends.Cuda;
using NUnit.Framework;

namespace MantisNative.Tests.Cuda;

/// <summary>The remaining op families on the GPU against CPU references (see GpuKernelTests for the harness).</summary>
public partial class GpuKernelTests
{
    /// <summary>erf to ~1e-7 (Abramowitz and Stegun 7.1.26); .NET has no Math.Erf.</summary>
    private static double Erf(double x)
    {
        double t = 1 / (1 + 0.3275911 * Math.Abs(x));
        double y = 1 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.Exp(-x * x);
        return x >= 0 ? y : -y;
    }

    [Test]
    public void LayerNormForwardAndBackward()
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
        Close("layernorm_forward", ReadBf16(yd, x.Length), y, 1e-2);
        Close("layernorm_backward dx", ReadBf16(gxd, x.Length), gx, 1e-2);
        Close("layernorm_backward dw", ReadF32(gwd, dim), gw, 1e-4);
        Close("layernorm_backward db", ReadF32(gbd, dim), gb, 1e-5);
    }

    [Test]
    public void RopeForwardAndBackward()
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
        Close("rope_forward", ReadBf16(yd, x.Length), want, 1e-2);
        // The backward is the inverse rotation: applied to y it gives x back (in place, y -> y).
        Launch("rope", "rope_backward", Blocks(pairs), 256, 0,
            new KernelArgs().Ptr(yd).Ptr(yd).Ptr(cd).Ptr(sd).Ptr(pd).Int(batch).Int(seq).Int(heads).Int(hd));
        Close("rope_backward(rope_forward(x))", ReadBf16(yd, x.Length), x.Select(v => (double)v).ToArray(), 1e-2);
    }

    [Test]
    public void SwigluAndGeluForwardAndBackward()
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
        Close("swiglu_forward", ReadBf16(y, n), a.Select((g, i) => g * Sig(g) * u[i]).ToArray(), 1e-2);
        Launch("swiglu", "swiglu_backward", Blocks(n), 256, 0, new KernelArgs().Ptr(gyd).Ptr(ad).Ptr(ud).Ptr(g1).Ptr(g2).Long(n));
        Close("swiglu_backward gate", ReadBf16(g1, n), a.Select((g, i) => gy[i] * u[i] * Sig(g) * (1 + g * (1 - Sig(g)))).ToArray(), 1e-2);
        Close("swiglu_backward up", ReadBf16(g2, n), a.Select((g, i) => gy[i] * g * Sig(g)).ToArray(), 1e-2);

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
            Close($"{name}_forward", ReadBf16(y, n), a.Select(v => f(v)).ToArray(), 1e-2);
            Launch("gelu", $"{name}_backward", Blocks(n), 256, 0, new KernelArgs().Ptr(gyd).Ptr(ad).Ptr(g1).Long(n));
            const double h = 1e-4;
            Close($"{name}_backward", ReadBf16(g1, n), a.Select((v, i) => gy[i] * (f(v + h) - f(v - h)) / (2 * h)).ToArray(), 1e-2);
        }
    }

    [Test]
    public void SoftmaxForwardAndBackward()
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
        Close("softmax_forward", yGot, y, 1e-2);
        Launch("softmax", "softmax_backward", (uint)rows, 256, 0, new KernelArgs().Ptr(gyd).Ptr(yd).Ptr(gxd).Int(rows).Int(cols).Float(scale));
        var gx = new double[x.Length];
        for (int r = 0; r < rows; r++)
        {
            double dot = 0;
            for (int j = 0; j < cols; j++) dot += (double)gy[r * cols + j] * yGot[r * cols + j];
            for (int j = 0; j < cols; j++) gx[r * cols + j] = scale * yGot[r * cols + j] * (gy[r * cols + j] - dot);
        }
        Close("softmax_backward", ReadBf16(gxd, x.Length), gx, 1e-2);
    }

    [Test]
    public void EmbeddingGatherAndScatterAdd()
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
        Close("embedding_forward", ReadBf16(outd, tokens * dim), want, 1e-6);
        Close("embedding_backward", ReadF32(gtd, vocab * dim), gwant, 1e-6);
    }

    [Test]
    public void PatchIm2ColMatchesConvLayout()
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
        Close("patch_im2col", ReadBf16(cols, want.Length), want, 1e-7);
        using var back = PoisonedBf16(px.Length);
        Launch("patch_embed", "patch_col2im", Blocks((long)nPatches * rowLen), 256, 0,
            new KernelArgs().Ptr(cols).Ptr(back).Int(images).Int(channels).Int(size).Int(size).Int(patch));
        Close("patch_col2im", ReadBf16(back, px.Length), px.Select(v => (double)v).ToArray(), 1e-7);
    }
}
