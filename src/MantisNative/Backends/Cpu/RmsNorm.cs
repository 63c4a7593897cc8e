namespace MantisNative.Backends.Cpu;

/// <summary>RMSNorm over the last dimension (Llama): y = w * x / sqrt(mean(x^2) + eps).</summary>
internal static unsafe class RmsNorm
{
    /// <summary>Forward; writes 1/rms per row into <paramref name="rstd"/> for the backward.</summary>
    public static void Forward(float* x, float* w, float* y, float* rstd, int rows, int dim, float eps)
    {
        nint px = (nint)x, pw = (nint)w, py = (nint)y, pr = (nint)rstd;
        CpuParallel.ForRange(rows, 16, (r0, r1) =>
        {
            var wv = new ReadOnlySpan<float>((float*)pw, dim);
            for (int r = r0; r < r1; r++)
            {
                var xr = new ReadOnlySpan<float>((float*)px + (long)r * dim, dim);
                var yr = new Span<float>((float*)py + (long)r * dim, dim);
                float ms = TensorPrimitives.SumOfSquares(xr) / dim;
                float inv = 1f / MathF.Sqrt(ms + eps);
                ((float*)pr)[r] = inv;
                TensorPrimitives.Multiply(xr, inv, yr);
                TensorPrimitives.Multiply(yr, wv, yr);
            }
        });
    }

    /// <summary>Backward: dx (if non-null) and dw (if non-null, summed over rows).</summary>
    public static void Backward(float* x, float* w, float* rstd, float* dy, float* dx, float* dw, int rows, int dim)
    {
        nint px = (nint)x, pw = (nint)w, pr = (nint)rstd, pdy = (nint)dy, pdx = (nint)dx;
        if (dx != null)
            CpuParallel.ForRange(rows, 16, (r0, r1) =>
            {
                var tmp = new float[dim];
                var wv = new ReadOnlySpan<float>((float*)pw, dim);
                for (int r = r0; r < r1; r++)
                {
                    var xr = new ReadOnlySpan<float>((float*)px + (long)r * dim, dim);
                    var gr = new ReadOnlySpan<float>((float*)pdy + (long)r * dim, dim);
                    var dxr = new Span<float>((float*)pdx + (long)r * dim, dim);
                    float inv = ((float*)pr)[r];
                    TensorPrimitives.Multiply(gr, wv, tmp);                // dxhat = dy * w
                    float dot = TensorPrimitives.Dot(tmp, xr) * inv / dim;   // mean(dxhat * xhat)
                    // dx = inv * (dxhat - xhat * mean(dxhat*xhat)) = inv*dxhat - x * inv^2 * dot
                    TensorPrimitives.Multiply(tmp, inv, dxr);
                    TensorPrimitives.MultiplyAdd(xr, -inv * inv * dot, dxr, dxr);
                }
            });
        if (dw != null)
            RowChunks.ReduceInto(rows, dim, new Span<float>(dw, dim), (r0, r1, acc) =>
            {
                var tmp = new float[dim];
                for (int r = r0; r < r1; r++)
                {
                    var xr = new ReadOnlySpan<float>((float*)px + (long)r * dim, dim);
                    var gr = new ReadOnlySpan<float>((float*)pdy + (long)r * dim, dim);
                    TensorPrimitives.Multiply(xr, ((float*)pr)[r], tmp);
                    TensorPrimitives.MultiplyAdd(tmp, gr, acc, acc);
                }
            });
    }
}
