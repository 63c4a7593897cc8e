using MantisNative.Backends.Cuda;
using MantisNative.Interop;
using MantisNative.Tensors;
using MantisNative.Training;
using NUnit.Framework;

namespace MantisNative.Tests.Training;

/// <summary>
/// The one AdamW contract (Backends.AdamWStep): the CPU primitive against the formula written out here step by
/// step in float (bit for bit), and the CUDA primitive against the CPU when a GPU is present.
/// </summary>
public class AdamWTests
{
    private const double Lr = 1e-2, Wd = 0.1, B1 = 0.9, B2 = 0.999, Eps = 1e-8;

    private static float[] Values(Rng rng, int n, float scale) => Enumerable.Range(0, n).Select(_ => (float)(rng.NextNormal() * scale)).ToArray();

    /// <summary>torch.optim.AdamW's single-tensor step (torch 1.13 ordering), scalars in double then float math.</summary>
    private static void ReferenceStep(float[] w, float[] m, float[] v, float[] g, int step, double wd)
    {
        double bc1 = 1 - Math.Pow(B1, step), bc2 = 1 - Math.Pow(B2, step);
        float stepSize = (float)(Lr / bc1), bc2Sqrt = (float)Math.Sqrt(bc2), decay = (float)(1 - Lr * wd);
        for (int i = 0; i < w.Length; i++)
        {
            if (wd != 0) w[i] *= decay;                                   // param.mul_(1 - lr * wd)
            m[i] = m[i] * (float)B1 + g[i] * (float)(1 - B1);             // exp_avg.mul_(b1).add_(g, alpha=1-b1)
            v[i] = v[i] * (float)B2 + g[i] * g[i] * (float)(1 - B2);      // exp_avg_sq.mul_(b2).addcmul_(g, g, 1-b2)
            float denom = MathF.Sqrt(v[i]) / bc2Sqrt + (float)Eps;        // (exp_avg_sq.sqrt() / sqrt(bc2)).add_(eps)
            w[i] += -stepSize * (m[i] / denom);                           // param.addcdiv_(exp_avg, denom, -step_size)
        }
    }

    private static (float[][] Weights, float[][][] Grads) Problem(int steps)
    {
        var rng = new Rng(42);
        int[] sizes = { 1000, 37, 4096 };
        var w = sizes.Select(n => Values(rng, n, 1f)).ToArray();
        var g = Enumerable.Range(0, steps).Select(_ => sizes.Select(n => Values(rng, n, 0.1f)).ToArray()).ToArray();
        return (w, g);
    }

    /// <summary>Runs the optimizer over host (or device) tensors: tensor 1 without weight decay, the others with.</summary>
    private static float[][] RunOptimizer(float[][] weights, float[][][] grads, Device device, float gradScale = 1f)
    {
        using var scope = new TensorScope();
        var hosts = weights.Select(w => Tensor.FromArray((float[])w.Clone(), w.Length)).ToArray();
        using var opt = new AdamW { Beta1 = B1, Beta2 = B2, Eps = Eps };
        opt.TakeMasters(hosts.Select((h, i) => ($"w{i}", h)), device);
        var ps = hosts.Select(h => h.To(device)).ToArray();
        foreach (var step in grads)
        {
            for (int i = 0; i < ps.Length; i++)
            {
                ps[i].ZeroGrad();
                var g = Tensor.FromArray(step[i].Select(x => x / gradScale).ToArray(), step[i].Length);
                var placed = g.To(device, DType.F32);   // g itself on the host
                if (!ReferenceEquals(placed, g)) g.Dispose();
                ps[i].Grad = TensorScope.Keep(placed);
            }
            opt.Update(ps.Select((p, i) => ($"w{i}", p, i == 1 ? 0.0 : Wd)), Lr, gradScale);
        }
        var result = device.IsCpu ? ps.Select(p => p.ToArray()).ToArray() : ps.Select((_, i) => opt.Master($"w{i}")).ToArray();
        foreach (var p in ps) p.ZeroGrad();
        return result;
    }

    [Test]
    public void CpuStepIsTheContractBitForBit()
    {
        var (weights, grads) = Problem(steps: 3);
        var got = RunOptimizer(weights, grads, Device.Cpu);
        for (int t = 0; t < weights.Length; t++)
        {
            var w = (float[])weights[t].Clone();
            var m = new float[w.Length];
            var v = new float[w.Length];
            for (int s = 0; s < grads.Length; s++) ReferenceStep(w, m, v, grads[s][t], s + 1, t == 1 ? 0 : Wd);
            Assert.That(got[t], Is.EqualTo(w), $"tensor {t}: the CPU AdamW is the contract's float arithmetic exactly");
            Assert.That(got[t], Is.Not.EqualTo(weights[t]), "the step moved the weights");
        }
    }

    [Test]
    public void GradScaleMultipliesTheGradientsFirst()
    {
        // grads divided by 4 and scaled back by 4 inside the step: exact (powers of two)
        var (weights, grads) = Problem(steps: 2);
        var plain = RunOptimizer(weights, grads, Device.Cpu);
        var scaled = RunOptimizer(weights, grads, Device.Cpu, gradScale: 4f);
        Assert.That(scaled, Is.EqualTo(plain));
    }

    [Test]
    public void MomentsSurviveASaveAndRestore()
    {
        var (weights, grads) = Problem(steps: 2);
        var want = RunOptimizer(weights, grads, Device.Cpu);

        using var scope = new TensorScope();
        var ps = weights.Select(w => Tensor.FromArray((float[])w.Clone(), w.Length)).ToArray();
        void Step(AdamW o, float[][] g)
        {
            for (int i = 0; i < ps.Length; i++)
            {
                ps[i].ZeroGrad();
                ps[i].Grad = TensorScope.Keep(Tensor.FromArray(g[i], g[i].Length));
            }
            o.Update(ps.Select((p, i) => ($"w{i}", p, i == 1 ? 0.0 : Wd)), Lr);
        }
        using var first = new AdamW { Beta1 = B1, Beta2 = B2, Eps = Eps };
        Step(first, grads[0]);
        using var second = new AdamW { Beta1 = B1, Beta2 = B2, Eps = Eps };
        second.RestoreMoments(first.Moments().ToList());
        second.Step = first.Step;
        Step(second, grads[1]);
        for (int i = 0; i < ps.Length; i++) Assert.That(ps[i].ToArray(), Is.EqualTo(want[i]), $"tensor {i} after a resumed step");
    }

    [Test]
    public void CudaStepMatchesTheCpuWithinFp32Rounding()
    {
        if (!CudaDriver.IsAvailable) Assert.Ignore($"no CUDA driver: {CudaDriver.UnavailableReason}");
        if (!Nvrtc.IsAvailable) Assert.Ignore($"no NVRTC: {Nvrtc.UnavailableReason}");
        if (CudaDevice.Count == 0) Assert.Ignore("no CUDA device");
        var (weights, grads) = Problem(steps: 3);
        var cpu = RunOptimizer(weights, grads, Device.Cpu);
        var gpu = RunOptimizer(weights, grads, Device.Cuda(0));
        // fp32 master weights on both sides; the kernel uses rsqrtf and w - lr wd w, so a few ulps per step: 1e-5 relative L2
        for (int t = 0; t < cpu.Length; t++)
        {
            double num = 0, den = 0;
            for (int i = 0; i < cpu[t].Length; i++) { num += Math.Pow(gpu[t][i] - cpu[t][i], 2); den += Math.Pow(cpu[t][i], 2); }
            Assert.That(Math.Sqrt(num / den), Is.LessThan(1e-5), $"tensor {t}");
        }
    }
}
