using MantisNative.Backends;
using MantisNative.Backends.Cuda;
using MantisNative.Models;
using MantisNative.Tensors;

namespace MantisNative.Diagnostics;

/// <summary>A CUDA device as the side under test: bf16 tensors, NaN-poisoned allocations, CUDA-event timings.</summary>
internal sealed class CudaCheckTarget : ICheckTarget
{
    private readonly CudaBackend _be;

    public CudaCheckTarget(Device device)
    {
        DeviceSelection.Prepare(device);
        _be = CudaBackend.Get(device);
        Device = device;
    }

    public string Description => $"{Device} {_be.Context.Device}";
    public Device Device { get; }
    public DType Activations => DType.BF16;

    public float[] EffectiveInputs(float[] values) => CpuCheckTarget.RoundBf16(values);

    public Tensor Upload(Tensor host, DType? dtype = null) => host.To(Device, dtype);

    public float[] Read(Tensor t, bool fp32Path) => t.ToArray();

    public IDisposable PoisonAllocations()
    {
        _be.PoisonAllocations = true;
        return new Restore(_be);
    }

    private sealed class Restore(CudaBackend be) : IDisposable
    {
        public void Dispose() => be.PoisonAllocations = false;
    }

    public double TimeMs(Action body, int warmup, int runs)
    {
        for (int i = 0; i < warmup; i++) body();
        _be.Synchronize();
        using var start = new CudaEvent();
        using var end = new CudaEvent();
        var times = new double[Math.Max(runs, 1)];
        for (int i = 0; i < times.Length; i++)
        {
            start.Record(_be.Context.Stream);
            body();
            end.Record(_be.Context.Stream);
            end.Synchronize();
            times[i] = CudaEvent.ElapsedMilliseconds(start, end);
        }
        return CpuCheckTarget.Median(times);
    }

    public double CopyBandwidthGBs()
    {
        const long bytes = 256L << 20;
        using var a = _be.Context.Allocate(bytes);
        using var b = _be.Context.Allocate(bytes);
        a.Clear();
        double ms = TimeMs(() => b.CopyFrom(a, bytes), 3, 20);
        return 2.0 * bytes / (ms * 1e6);
    }

    public double GemmTflops(int size)
    {
        long bytes = (long)size * size * 2;
        using var a = _be.Context.Allocate(bytes);
        using var b = _be.Context.Allocate(bytes);
        using var c = _be.Context.Allocate(bytes);
        // random bf16 in [-1, 1), not zeros: tensor cores draw less power on zeros and report a rate real data never sees
        var rng = new Random(size);
        var host = new ushort[(long)size * size];
        foreach (var buf in new[] { a, b })
        {
            for (int i = 0; i < host.Length; i++) host[i] = (ushort)(BitConverter.SingleToUInt32Bits((float)(rng.NextDouble() * 2 - 1)) >> 16);
            buf.CopyFrom(host);
        }
        var shape = new GemmShape(size, size, size);
        double ms = TimeMs(() => _be.Gemm.Run(shape, a.Pointer, b.Pointer, c.Pointer), 3, 20);
        return shape.Flops / (ms * 1e9);
    }

    public float[][] AdamWSteps(float[][] weights, float[][][] gradsPerStep, double lr, double weightDecay, MomentFormat states = MomentFormat.Fp32)
    {
        using var scope = new TensorScope();
        var hosts = weights.Select((w, i) => Tensor.FromArray(w, w.Length)).ToArray();
        using var opt = new Training.AdamW { States = states, Seed = HostAdamW.Seed };
        opt.TakeMasters(hosts.Select((h, i) => ($"w{i}", h)), Device);
        var ps = hosts.Select(h => h.To(Device)).ToArray();
        foreach (var grads in gradsPerStep)
        {
            for (int i = 0; i < ps.Length; i++)
            {
                ps[i].ZeroGrad();
                using var g = Tensor.FromArray(grads[i], grads[i].Length);
                ps[i].Grad = TensorScope.Keep(g.To(Device, DType.F32));
            }
            opt.Update(ps.Select((p, i) => ($"w{i}", p, weightDecay)), lr);
        }
        var result = ps.Select((_, i) => opt.Master($"w{i}")).ToArray();
        foreach (var p in ps) p.ZeroGrad();
        return result;
    }

    public void Place(MantisModel model) => model.To(Device);

    public void Dispose() { }
}
