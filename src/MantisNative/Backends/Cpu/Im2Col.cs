namespace MantisNative.Backends.Cpu;

/// <summary>
/// Patch extraction for a convolution whose stride equals its kernel (ViT patch embedding):
/// images [N, C, H, W] to rows [N * (H/P) * (W/P), C * P * P] ordered (c, kh, kw) like the conv weight,
/// patches in row-major order (the conv output flattened). Pixels beyond the last whole patch are unused.
/// </summary>
internal static unsafe class Im2Col
{
    public static void Forward(float* img, int n, int c, int h, int w, int p, float* cols)
    {
        int gh = h / p, gw = w / p, row = c * p * p;
        nint pi = (nint)img, pc = (nint)cols;
        CpuParallel.For(n * gh, job =>
        {
            int img0 = job / gh, py = job % gh;
            for (int px = 0; px < gw; px++)
            {
                float* dst = (float*)pc + ((long)(img0 * gh + py) * gw + px) * row;
                for (int ch = 0; ch < c; ch++)
                    for (int ky = 0; ky < p; ky++)
                    {
                        float* src = (float*)pi + (((long)img0 * c + ch) * h + py * p + ky) * w + px * p;
                        new ReadOnlySpan<float>(src, p).CopyTo(new Span<float>(dst + (ch * p + ky) * p, p));
                    }
            }
        });
    }

    /// <summary>The transpose: adds patch-row gradients back into image gradients.</summary>
    public static void Backward(float* dcols, int n, int c, int h, int w, int p, float* dimg)
    {
        int gh = h / p, gw = w / p, row = c * p * p;
        nint pi = (nint)dimg, pc = (nint)dcols;
        CpuParallel.For(n * gh, job =>
        {
            int img0 = job / gh, py = job % gh;
            for (int px = 0; px < gw; px++)
            {
                float* src = (float*)pc + ((long)(img0 * gh + py) * gw + px) * row;
                for (int ch = 0; ch < c; ch++)
                    for (int ky = 0; ky < p; ky++)
                    {
                        float* dst = (float*)pi + (((long)img0 * c + ch) * h + py * p + ky) * w + px * p;
                        var d = new Span<float>(dst, p);
                        TensorPrimitives.Add(d, new ReadOnlySpan<float>(src + (ch * p + ky) * p, p), d);
                    }
            }
        });
    }
}
