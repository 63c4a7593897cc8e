namespace MantisNative.Backends.Cpu;

/// <summary>
/// Softmax cross-entropy over logits [rows, vocab] with integer targets; rows whose target is the
/// ignore index contribute nothing. Per-row losses are summed in double.
/// </summary>
internal static unsafe class CrossEntropy
{
    /// <summary>Returns (sum of row losses, counted rows) and each row's log-sum-exp for the backward.</summary>
    private static readonly ThreadLocal<float[]> scratch = new(() => Array.Empty<float>());

    public static (double Sum, int Count) Forward(float* logits, int rows, int vocab, ReadOnlySpan<int> targets, int ignoreIndex, float[] lse)
    {
        var losses = new double[rows];
        var t = targets.ToArray();
        nint pl = (nint)logits;
        CpuParallel.ForRange(rows, 4, (r0, r1) =>
        {
            for (int r = r0; r < r1; r++)
            {
                if (t[r] == ignoreIndex) { losses[r] = 0; continue; }
                var row = new ReadOnlySpan<float>((float*)pl + (long)r * vocab, vocab);
                float m = TensorPrimitives.Max(row);
                // SIMD exp in float; the sum of values in (0, 1] in chunks accumulated in double
                var tmp = scratch.Value!;
                if (tmp.Length < vocab) scratch.Value = tmp = new float[vocab];
                var e = tmp.AsSpan(0, vocab);
                TensorPrimitives.Subtract(row, m, e);
                TensorPrimitives.Exp(e, e);
                double s = 0;
                for (int j = 0; j < vocab; j += 4096) s += TensorPrimitives.Sum(e.Slice(j, Math.Min(4096, vocab - j)));
                float l = (float)(m + Math.Log(s));
                lse[r] = l;
                losses[r] = (double)l - row[t[r]];
            }
        });
        double sum = 0; int count = 0;
        for (int r = 0; r < rows; r++)
            if (t[r] != ignoreIndex) { sum += losses[r]; count++; }
        return (sum, count);
    }

    /// <summary>dlogits = scale * (softmax - onehot(target)) for counted rows, zero for ignored rows.</summary>
    public static void Backward(float* logits, int rows, int vocab, ReadOnlySpan<int> targets, int ignoreIndex, float[] lse, float scale, float* dlogits)
    {
        var t = targets.ToArray();
        nint pl = (nint)logits, pd = (nint)dlogits;
        CpuParallel.ForRange(rows, 4, (r0, r1) =>
        {
            for (int r = r0; r < r1; r++)
            {
                var d = new Span<float>((float*)pd + (long)r * vocab, vocab);
                if (t[r] == ignoreIndex) { d.Clear(); continue; }
                var row = new ReadOnlySpan<float>((float*)pl + (long)r * vocab, vocab);
                TensorPrimitives.Subtract(row, lse[r], d);
                TensorPrimitives.Exp(d, d);
                d[t[r]] -= 1f;
                TensorPrimitives.Multiply(d, scale, d);
            }
        });
    }
}
