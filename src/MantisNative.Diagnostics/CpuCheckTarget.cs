using System.Diagnostics;
using MantisNative.Backends;
using MantisNative.Backends.Cpu;
using MantisNative.Models;
using MantisNative.Tensors;

namespace MantisNative.Diagnostics;

/// <summary>
/// The CPU ops as the side under test. With <paramref name="roundToBf16"/> it imitates a bf16 device: inputs are
/// rounded to bf16 and so is every non-fp32 result read back (so the bf16 tolerance class is exercised). Used by
/// tests (gpu-check with the CPU on both sides) and by `mantis gpu-check --target cpu|cpu-bf16`.
/// </summary>
internal sealed class CpuCheckTarget : ICheckTarget
{
    private readonly bool _bf16;

    public CpuCheckTarget(bool roundToBf16) => _bf16 = roundToBf16;

    public string Description => _bf16 ? "cpu (bf16-rounded inputs and outputs)" : "cpu (fp32)";
    public Device Device => Device.Cpu;
    public DType Activations => _bf16 ? DType.BF16 : DType.F32;

    public float[] EffectiveInputs(float[] values) => _bf16 ? RoundBf16(values) : values;

    public static float[] RoundBf16(float[] x)
    {
        var r = new float[x.Length];
        for (int i = 0; i < x.Length; i++) r[i] = FloatConversion.FromBFloat16(FloatConversion.ToBFloat16(x[i]));
        return r;
    }

    public Tensor Upload(Tensor host, DType? dtype = null) => host.Clone();

    public float[] Read(Tensor t, bool fp32Path) => _bf16 && !fp32Path ? RoundBf16(t.ToArray()) : t.ToArray();

    public IDisposable PoisonAllocations() => new Nothing();

    private sealed class Nothing : IDisposable { public void Dispose() { } }

    public double TimeMs(Action body, int warmup, int runs)
    {
        for (int i = 0; i < warmup; i++) body();
        var times = new double[Math.Max(runs, 1)];
        for (int i = 0; i < times.Length; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            body();
            times[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        }
        return Median(times);
    }

    public static double Median(double[] xs)
    {
        var s = xs.OrderBy(x => x).ToArray();
        return s.Length == 0 ? double.NaN : s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }

    public unsafe double CopyBandwidthGBs()
    {
        const int n = 16 << 20;
        var a = new float[n];
        var b = new float[n];
        double ms = TimeMs(() => a.AsSpan().CopyTo(b), 2, 5);
        return 2.0 * n * sizeof(float) / (ms * 1e6);
    }

    public double GemmTflops(int size)
    {
        var a = new float[size * size];
        var b = new float[size * size];
        var c = new float[size * size];
        double ms = TimeMs(() => Gemm.Sgemm(false, false, size, size, size, 1f, a, b, 0f, c), 1, 3);
        return 2.0 * size * size * size / (ms * 1e9);
    }

    public float[][] AdamWSteps(float[][] weights, float[][][] gradsPerStep, double lr, double weightDecay, MomentFormat states = MomentFormat.Fp32) =>
        HostAdamW.Steps(weights, gradsPerStep, lr, weightDecay, states);

    public void Place(MantisModel model) { }

    public void Dispose() { }
}
