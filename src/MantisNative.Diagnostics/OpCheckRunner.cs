using MantisNative.Autograd;
using MantisNative.Diagnostics.Kernels;
using MantisNative.Tensors;

namespace MantisNative.Diagnostics;

/// <summary>
/// Runs op cases on the CPU reference and on a target: fresh random inputs (rounded as the target sees them),
/// target memory poisoned while the op runs, forward outputs and every input gradient compared (relative L2 and
/// max error) against the case's <see cref="Tolerance"/> for the target's activation dtype.
/// </summary>
internal sealed class OpCheckRunner
{
    private readonly ICheckTarget _target;
    private readonly Random _rng;

    public OpCheckRunner(ICheckTarget target, int seed)
    {
        _target = target;
        _rng = new Random(seed);
    }

    /// <summary>Checks one case; an exception becomes a failed row naming it, so one broken op does not hide the rest.</summary>
    public IReadOnlyList<CheckRow> Check(OpCase c)
    {
        try { return CheckOrThrow(c); }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Tape.Current.Clear();
            return new[] { new CheckRow("op", c.Name, "fwd", double.NaN, double.NaN, 0, false, $"error: {e.Message.Split('\n')[0]}") };
        }
    }

    private float[] Random(OpInput input) => _target.EffectiveInputs(OpReference.Draw(input, _rng));

    private IReadOnlyList<CheckRow> CheckOrThrow(OpCase c)
    {
        var values = c.Inputs.Select(Random).ToArray();
        var (refOut, refGrads, seed, outShape) = RunReference(c, values);
        var (gotOut, gotGrads) = RunTarget(c, values, seed, outShape);

        var rows = new List<CheckRow> { Compare(c.Name, "fwd", gotOut, refOut, c.ForwardTolerance.For(_target.Activations)) };
        for (int i = 0; i < refGrads.Length; i++)
        {
            if (refGrads[i] is null) continue;
            var got = gotGrads[i];
            // accumulated over identical micro-batches: the reference gradient times their count (exact in fp32)
            var want = c.MicroBatches == 1 ? refGrads[i]! : refGrads[i]!.Select(v => v * c.MicroBatches).ToArray();
            rows.Add(got is null
                ? new CheckRow("op", c.Name, $"bwd d{i}", double.NaN, double.NaN, 0, false, "no gradient on the target")
                : Compare(c.Name, $"bwd d{i}", got, want, c.BackwardTolerance.For(_target.Activations)));
        }
        return rows;
    }

    private (float[] Out, float[]?[] Grads, float[]? Seed, Shape OutShape) RunReference(OpCase c, float[][] values)
    {
        var r = OpReference.Run(c, values, shape => Random(new OpInput(shape)));
        return (r.Output, r.Grads, r.Seed, r.OutputShape);
    }

    private (float[] Out, float[]?[] Grads) RunTarget(OpCase c, float[][] values, float[]? seed, Shape outShape)
    {
        using var scope = new TensorScope();
        var inputs = c.Inputs.Select((inp, i) =>
        {
            using var host = Tensor.FromArray(values[i], inp.Shape);
            return Leaf(_target.Upload(host), inp);
        }).ToArray();
        Tensor y;
        using (_target.PoisonAllocations()) y = (c.TargetRun ?? c.Run)(inputs);
        if (!y.Shape.Equals(outShape)) throw new MantisException($"output shape {y.Shape} differs from the reference's {outShape}");
        var output = _target.Read(y, c.Fp32Output);
        var grads = new float[]?[inputs.Length];
        if (seed is not null && y.RequiresGrad)
        {
            using var hostSeed = Tensor.FromArray(seed, y.Shape.ToArray());
            var seedT = _target.Upload(hostSeed, y.DType);
            using (_target.PoisonAllocations()) Tape.Backward(y, seedT);
            for (int mb = 1; mb < c.MicroBatches; mb++)
            {
                Tensor again;
                using (_target.PoisonAllocations()) again = (c.TargetRun ?? c.Run)(inputs);
                using (_target.PoisonAllocations()) Tape.Backward(again, seedT);
            }
            for (int i = 0; i < inputs.Length; i++) grads[i] = inputs[i].Grad is { } g ? _target.Read(g, false) : null;
        }
        Tape.Current.Clear();
        foreach (var t in inputs) t.Dispose();
        return (output, grads);
    }

    internal static Tensor Leaf(Tensor t, OpInput input)
    {
        t.RequiresGrad = input.Grad;
        return t;
    }

    public static CheckRow Compare(string name, string phase, float[] got, float[] want, double tolerance, string section = "op")
    {
        var w = want.Select(x => (double)x).ToArray();
        double rel = got.Length == want.Length ? KernelChecks.RelL2(got, w) : double.PositiveInfinity;
        double max = 0;
        for (int i = 0; i < Math.Min(got.Length, want.Length); i++)
        {
            double d = Math.Abs((double)got[i] - want[i]);
            max = double.IsNaN(d) ? double.PositiveInfinity : Math.Max(max, d);
        }
        string? note = got.Length != want.Length ? $"{got.Length} values, expected {want.Length}" : null;
        return new CheckRow(section, name, phase, rel, max, tolerance, rel <= tolerance, note);
    }

    /// <summary>Median time of the forward on the target (inputs made once, outside the timing), then of forward + backward.</summary>
    public TimingRow Time(OpCase c, int warmup, int runs)
    {
        using var scope = new TensorScope();
        var inputs = c.Inputs.Select(inp =>
        {
            using var host = Tensor.FromArray(Random(inp), inp.Shape);
            return _target.Upload(host);
        }).ToArray();
        try
        {
            long bytes = inputs.Sum(t => t.Numel * t.DType.SizeOf());
            double ms;
            using (Tape.NoGrad())
            {
                using (var y = (c.TargetRun ?? c.Run)(inputs)) bytes += y.Numel * y.DType.SizeOf();
                ms = _target.TimeMs(() =>
                {
                    using var s = new TensorScope();
                    (c.TargetRun ?? c.Run)(inputs);
                }, warmup, runs);
            }
            double fwdBwd = c.Backward ? TimeWithBackward(c, inputs, warmup, runs) : double.NaN;
            return new TimingRow(c.Name, ms, bytes, c.Flops) { FwdBwdMs = fwdBwd };
        }
        finally
        {
            foreach (var t in inputs) t.Dispose();
        }
    }

    /// <summary>Forward and backward (seeded with ones) together: the tape is used up by each backward.</summary>
    private double TimeWithBackward(OpCase c, Tensor[] inputs, int warmup, int runs)
    {
        foreach (var (t, inp) in inputs.Zip(c.Inputs)) t.RequiresGrad = inp.Grad;
        Tensor? seed = null;
        try
        {
            return _target.TimeMs(() =>
            {
                using var s = new TensorScope();
                var y = (c.TargetRun ?? c.Run)(inputs);
                if (!y.RequiresGrad) return;
                if (seed is null || !seed.Shape.Equals(y.Shape) || seed.DType != y.DType)
                {
                    seed?.Dispose();
                    using var one = Tensor.Full(y.Shape, 1f);
                    seed = TensorScope.Keep(_target.Upload(one, y.DType));
                }
                Tape.Backward(y, seed);
                foreach (var t in inputs) t.ZeroGrad();
            }, warmup, runs);
        }
        finally
        {
            seed?.Dispose();
            foreach (var t in inputs) { t.ZeroGrad(); t.RequiresGrad = false; }
        }
    }
}
