using MantisNative.Interop;

using MantisNative.Backends.Cuda;

namespace MantisNative.Diagnostics.Kernels;

// RMSNorm, LayerNorm and rotary embedding. Inputs are fresh random values, outputs poisoned first, references in double.
internal sealed partial class KernelChecks
{
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
        using var gwParts = PoisonedF32(4 * dim);
        Launch("rmsnorm", "rmsnorm_backward", 4, threads, (uint)(dim * 4),
            new KernelArgs().Ptr(gyd).Ptr(xd).Ptr(wd).Ptr(rstd).Ptr(gxd).Ptr(gwParts).Int(rows).Int(dim));
        SumPartials(gwParts, 4, gwd, dim);

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

    /// <summary>out [n] += the rows of partials [parts, n] in row order (the second half of a norm's weight gradient).</summary>
    private void SumPartials(DeviceBuffer partials, int parts, DeviceBuffer output, int n) =>
        Launch("weight_grad", "sum_partials_f32", Blocks(n), 256, 0, new KernelArgs().Ptr(partials).Int(parts).Long(n).Ptr(output));

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
        using var gwParts = PoisonedF32(3 * dim);
        using var gbParts = PoisonedF32(3 * dim);
        Launch("layernorm", "layernorm_backward", 3, threads, (uint)(2 * dim * 4),
            new KernelArgs().Ptr(gyd).Ptr(xd).Ptr(wd).Ptr(mean).Ptr(rstd).Ptr(gxd).Ptr(gwParts).Ptr(gbParts).Int(rows).Int(dim));
        SumPartials(gwParts, 3, gwd, dim);
        SumPartials(gbParts, 3, gbd, dim);
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
}
