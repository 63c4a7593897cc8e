using System.Diagnostics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using MantisNative.Backends.Cpu;
using MantisNative.Backends.Cpu.Frozen;
using MantisNative.Backends.Cpu.Quantized;
using MantisNative.Tensors;

namespace MantisNative.Bench;

/// <summary>
/// `gemv-quick [--threads T] [--reps N] [--shape ROWSxCOLS]...`: y = W x for decode-sized matrices, fp32 (TensorPrimitives.Dot per
/// row, same row split) beside the bf16 GEMV of the decode path and the fused int8 and NF4 kernels (NF4 both ways), interleaved in one run; weight GB/s against the measured copy
/// bandwidth (the memory-bound limit of a GEMV). Median of N timed calls.
/// </summary>
internal static unsafe class GemvQuick
{
    public static int Run(string[] args)
    {
        int reps = 9;
        var shapes = new List<(int, int)>();
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--shape") { var p = args[++i].Split('x'); shapes.Add((int.Parse(p[0]), int.Parse(p[1]))); }
            else if (args[i] == "--threads") CpuParallel.Threads = int.Parse(args[++i]);
            else if (args[i] == "--reps") reps = int.Parse(args[++i]);
        }
        double copy = CopyBandwidth();
        Console.WriteLine($"threads: {CpuParallel.Threads}   copy bandwidth (read + write, 256 MB memcpy): {copy:F1} GB/s   load average: {File.ReadAllText("/proc/loadavg").Trim()}");
        Console.WriteLine("| rows x cols | format | weight MB | wall ms (median) | weight GB/s (wall) | % of copy bandwidth | CPU ms (median, all threads) | G weights per CPU-second |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|---:|---:|");
        foreach (var (rows, cols) in shapes.Count > 0 ? shapes : [(4096, 4096), (14336, 4096), (4096, 14336), (32768, 4096)])
        {
            var rng = new Rng(1);
            var w = new float[(long)rows * cols];
            for (long i = 0; i < w.Length; i++) w[i] = (float)rng.NextNormal();
            var x = Enumerable.Range(0, cols).Select(_ => (float)rng.NextNormal()).ToArray();
            var y = new float[rows];
            using var i8 = Quantize(QuantizedFormat.Int8, w, rows, cols, QuantizedMatrix.PerRowBlock(cols));
            using var n4 = Quantize(QuantizedFormat.Nf4, w, rows, cols, 64);
            using var bf16 = HalfMatrix.Round(WeightFormat.BF16, rows, cols, w);
            var xh = GCHandle.Alloc(x, GCHandleType.Pinned);
            var yh = GCHandle.Alloc(y, GCHandleType.Pinned);
            float* xp = (float*)xh.AddrOfPinnedObject(), yp = (float*)yh.AddrOfPinnedObject();
            var runs = new (string Name, double Mb, Action Run, List<double> Ms, List<double> Cpu)[]
            {
                ("fp32", w.Length * 4 / 1e6, () => Fp32(w, rows, cols, x, y), [], []),
                ("bf16 one row per pass", bf16.ByteSize / 1e6, () => { HalfMatrix.FourRows = false; FrozenGemm.Gemv(bf16, xp, yp, accumulate: false); HalfMatrix.FourRows = true; }, [], []),
                ("bf16", bf16.ByteSize / 1e6, () => FrozenGemm.Gemv(bf16, xp, yp, accumulate: false), [], []),
                ("int8", i8.Bytes / 1e6, () => QuantizedGemv.Multiply(i8.M, x, y), [], []),
                ("nf4/64 element order", n4.Bytes / 1e6, () => { QuantizedGemv.PairedNf4 = false; QuantizedGemv.Multiply(n4.M, x, y); QuantizedGemv.PairedNf4 = true; }, [], []),
                ("nf4/64", n4.Bytes / 1e6, () => QuantizedGemv.Multiply(n4.M, x, y), [], []),
            };
            foreach (var r in runs) { r.Run(); r.Run(); }
            for (int rep = 0; rep < reps; rep++)
                foreach (var r in runs)
                {
                    double cpu0 = CpuClock.Process();
                    var sw = Stopwatch.StartNew();
                    r.Run();
                    r.Ms.Add(sw.Elapsed.TotalMilliseconds);
                    r.Cpu.Add((CpuClock.Process() - cpu0) * 1e3);
                }
            foreach (var r in runs)
            {
                double ms = r.Ms.Order().ElementAt(r.Ms.Count / 2), gbs = r.Mb / 1e3 / (ms / 1e3);
                double cpuMs = r.Cpu.Order().ElementAt(r.Cpu.Count / 2);
                Console.WriteLine($"| {rows} x {cols} | {r.Name} | {r.Mb:F1} | {ms:F2} | {gbs:F1} | {100 * gbs / copy:F0} % | {cpuMs:F1} | {rows * (double)cols / (cpuMs / 1e3) / 1e9:F2} |");
            }
            xh.Free();
            yh.Free();
        }
        return 0;
    }

    private static void Fp32(float[] w, int rows, int cols, float[] x, float[] y) =>
        CpuParallel.ForRange(rows, 16, (r0, r1) =>
        {
            for (int r = r0; r < r1; r++) y[r] = TensorPrimitives.Dot(w.AsSpan(r * cols, cols), x);
        });

    /// <summary>GB/s of a large copy, counting bytes read plus bytes written.</summary>
    internal static double CopyBandwidth()
    {
        var a = new byte[256 << 20];
        var b = new byte[256 << 20];
        a.AsSpan().Fill(1);
        b.AsSpan().Fill(2);
        double best = double.MaxValue;
        for (int i = 0; i < 5; i++)
        {
            var sw = Stopwatch.StartNew();
            CpuParallel.ForRange(a.Length >> 20, 1, (c0, c1) => a.AsSpan(c0 << 20, (c1 - c0) << 20).CopyTo(b.AsSpan(c0 << 20)));
            best = Math.Min(best, sw.Elapsed.TotalSeconds);
        }
        return 2.0 * a.Length / best / 1e9;
    }

    private sealed class Owned : IDisposable
    {
        public QuantizedMatrix M;
        public long Bytes;
        public byte* Codes;
        public float* Scales;
        public void Dispose() { NativeMemory.AlignedFree(Codes); NativeMemory.AlignedFree(Scales); }
    }

    private static Owned Quantize(QuantizedFormat f, float[] w, int rows, int cols, int block)
    {
        int rb = QuantizedMatrix.RowBytesFor(f, cols), nb = QuantizedMatrix.BlocksFor(cols, block);
        var o = new Owned
        {
            Codes = (byte*)NativeMemory.AlignedAlloc((nuint)((long)rows * rb + 64), 64),
            Scales = (float*)NativeMemory.AlignedAlloc((nuint)((long)rows * nb * 4), 64),
        };
        for (int r = 0; r < rows; r++)
            WeightQuantizer.QuantizeRow(f, block, w.AsSpan(r * cols, cols), new Span<byte>(o.Codes + (long)r * rb, rb), new Span<float>(o.Scales + (long)r * nb, nb));
        o.M = new QuantizedMatrix(f, rows, cols, block, o.Codes, o.Scales);
        o.Bytes = (long)rows * rb + (long)rows * nb * 4;
        return o;
    }
}
