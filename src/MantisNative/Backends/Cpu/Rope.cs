namespace MantisNative.Backends.Cpu;

/// <summary>
/// Rotary position embedding, Llama convention (rotate_half: the first and second halves of each head
/// pair up). The tables come from the op layer (RopeTables).
/// </summary>
internal static unsafe class Rope
{
    /// <summary>
    /// x is [tokens, heads, dim] (rows of one token contiguous); token t uses table row t % <paramref name="period"/>.
    /// Forward: y = x cos + rotate_half(x) sin; with <paramref name="transpose"/> the transposed rotation (the backward).
    /// </summary>
    public static void Apply(float* x, float* y, int tokens, int heads, int dim, float* cos, float* sin, int period, bool transpose)
    {
        int half = dim / 2;
        nint px = (nint)x, py = (nint)y, pc = (nint)cos, ps = (nint)sin;
        CpuParallel.ForRange(tokens, 4, (t0, t1) =>
        {
            for (int t = t0; t < t1; t++)
            {
                long row = (t % period) * (long)half;
                for (int h = 0; h < heads; h++)
                {
                    float* xr = (float*)px + ((long)t * heads + h) * dim;
                    float* yr = (float*)py + ((long)t * heads + h) * dim;
                    for (int i = 0; i < half; i++)
                    {
                        float c = ((float*)pc)[row + i], s = ((float*)ps)[row + i];
                        float a = xr[i], b = xr[i + half];
                        if (!transpose)
                        {
                            yr[i] = a * c - b * s;
                            yr[i + half] = b * c + a * s;
                        }
                        else
                        {
                            yr[i] = a * c + b * s;
                            yr[i + half] = b * c - a * s;
                        }
                    }
                }
            }
        });
    }
}
