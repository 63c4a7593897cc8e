namespace MantisNative.Backends.Cpu;

/// <summary>LayerNorm over the last dimension: y = (x - mean) / sqrt(var + eps) * w + b (biased variance).</summary>
internal static unsafe class LayerNorm
{
    /// <summary>Forward; keeps mean and 1/std per row for the backward.</summary>
    public static void Forward(float* x, float* w, float* b, float* y, float* mean, float* rstd, int rows, int dim, float eps)
    {
        nint px = (nint)x, pw = (nint)w, pb = (nint)b, py = (nint)y, pm = (nint)mean, pr = (nint)rstd;
        CpuParallel.ForRange(rows, 16, (r0, r1) =>
        {
            var wv = new ReadOnlySpan<float>((float*)pw, dim);
            for (int r = r0; r < r1; r++)
            {
                var xr = new ReadOnlySpan<float>((float*)px + (long)r * dim, dim);
                var yr = new Span<float>((float*)py + (long)r * dim, dim);
                float mu = TensorPrimitives.Sum(xr) / dim;
                TensorPrimitives.Subtract(xr, mu, yr);
                float var = TensorPrimitives.SumOfSquares(yr) / dim;
                float inv = 1f / MathF.Sqrt(var + eps);
                ((float*)pm)[r] = mu;
                ((float*)pr)[r] = inv;
                TensorPrimitives.Multiply(yr, inv, yr);
                TensorPrimitives.Multiply(yr, wv, yr);
                if (pb != 0) TensorPrimitives.Add(yr, new ReadOnlySpan<float>((float*)pb, dim), yr);
            }
        });
    }

    public static void Backward(float* x, float* w, float* mean, float* rstd, float* dy, float* dx, float* dw, float* db, int rows, int dim)
    {
        nint px = (nint)x, pw = (nint)w, pm = (nint)mean, pr = (nint)rstd, pdy = (nint)dy, pdx = (nint)dx;
        if (dx != null)
            CpuParallel.ForRange(rows, 16, (r0, r1) =>
            {
                var xhat = new float[dim];
                var dxhat = new float[dim];
                var wv = new ReadOnlySpan<float>((float*)pw, dim);
                for (int r = r0; r < r1; r++)
                {
                    var xr = new ReadOnlySpan<float>((float*)px + (long)r * dim, dim);
                    var gr = new ReadOnlySpan<float>((float*)pdy + (long)r * dim, dim);
                    var dxr = new Span<float>((float*)pdx + (long)r * dim, dim);
                    float inv = ((float*)pr)[r];
                    TensorPrimitives.Subtract(xr, ((float*)pm)[r], xhat);
                    TensorPrimitives.Multiply(xhat, inv, xhat);
                    TensorPrimitives.Multiply(gr, wv, dxhat);
                    float meanD = TensorPrimitives.Sum(dxhat) / dim;
                    float meanDX = TensorPrimitives.Dot(dxhat, xhat) / dim;
                    // dx = inv * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat))
                    TensorPrimitives.MultiplyAdd(xhat, -meanDX, dxhat, dxr);
                    TensorPrimitives.Subtract(dxr, meanD, dxr);
                    TensorPrimitives.Multiply(dxr, inv, dxr);
                }
            });
        if (dw != null)
            RowChunks.ReduceInto(rows, dim, new Span<float>(dw, dim), (r0, r1, acc) =>
            {
                var xhat = new float[dim];
                for (int r = r0; r < r1; r++)
                {
                    var xr = new ReadOnlySpan<float>((float*)px + (long)r * dim, dim);
                    TensorPrimitives.Subtract(xr, ((float*)pm)[r], xhat);
                    TensorPrimitives.Multiply(xhat, ((float*)pr)[r], xhat);
                    TensorPrimitives.MultiplyAdd(xhat, new ReadOnlySpan<float>((float*)pdy + (long)r * dim, dim), acc, acc);
                }
            });
        if (db != null)
            RowChunks.ReduceInto(rows, dim, new Span<float>(db, dim), (r0, r1, acc) =>
            {
                for (int r = r0; r < r1; r++)
                    TensorPrimitives.Add(acc, new ReadOnlySpan<float>((float*)pdy + (long)r * dim, dim), acc);
            });
    }
}
