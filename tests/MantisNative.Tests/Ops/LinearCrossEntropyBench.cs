using System.Diagnostics;
using MantisNative.Autograd;
using MantisNative.Tensors;
using NUnit.Framework;
using AOps = MantisNative.Autograd.Ops;

namespace MantisNative.Tests.Ops;

/// <summary>
/// Not part of the suite ([Explicit]): one loss step (forward + backward, hidden and weight trained) fused against
/// unfused on the CPU, interleaved, with the host tensor high-water of each. Sizes from MANTIS_LCE_BENCH="N,V,D"
/// (default 2048,32000,256). Run: dotnet test -c Release --filter FullyQualifiedName~LinearCrossEntropyBench.
/// </summary>
[Explicit, NonParallelizable]
public class LinearCrossEntropyBench
{
    [Test]
    public void FusedAgainstUnfusedStep()
    {
        var dims = (System.Environment.GetEnvironmentVariable("MANTIS_LCE_BENCH") ?? "2048,32000,256").Split(',').Select(int.Parse).ToArray();
        int n = dims[0], v = dims[1], d = dims[2];
        var rng = new Random(1);
        var h = Enumerable.Range(0, n * d).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var w = Enumerable.Range(0, v * d).Select(_ => (float)(rng.NextDouble() * 2 - 1) * 0.05f).ToArray();
        var t = Enumerable.Range(0, n).Select(i => i % 10 == 0 ? AOps.IgnoreIndex : rng.Next(v)).ToArray();
        (double Secs, long Peak, float Loss) Step(bool fused)
        {
            long before = HostStorage.LiveBytes;
            HostStorage.ResetPeak();
            var sw = Stopwatch.StartNew();
            float loss;
            using (var scope = new TensorScope())
            {
                var hidden = Tensor.FromArray(h, n, d); hidden.RequiresGrad = true;
                var weight = Tensor.FromArray(w, v, d); weight.RequiresGrad = true;
                var l = fused ? AOps.LinearCrossEntropy(hidden, weight, t) : AOps.CrossEntropy(AOps.Linear(hidden, weight), t);
                loss = l.Item();
                Tape.Backward(l);
                hidden.Grad!.Dispose(); weight.Grad!.Dispose();
            }
            return (sw.Elapsed.TotalSeconds, HostStorage.PeakLiveBytes - before, loss);
        }
        Step(true); Step(false);   // warm-up (pool, JIT)
        for (int rep = 0; rep < 2; rep++)
            foreach (bool fused in new[] { false, true })
            {
                var (s, peak, loss) = Step(fused);
                TestContext.Out.WriteLine($"N={n} V={v} D={d} {(fused ? "fused  " : "unfused")}: {s:F2} s, peak host tensors {peak / 1048576.0:F0} MiB, loss {loss:G6}, load {File.ReadAllText("/proc/loadavg").Trim()}");
            }
    }
}
