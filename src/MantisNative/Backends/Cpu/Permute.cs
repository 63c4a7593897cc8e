namespace MantisNative.Backends.Cpu;

/// <summary>Copies a row-major tensor into the layout given by a permutation of its dimensions.</summary>
internal static unsafe class Permute
{
    /// <summary>dst[j0..jn] = src[i] where dst dimension k is src dimension perm[k].</summary>
    public static void Run(float* src, int[] srcDims, int[] perm, float* dst)
    {
        int rank = srcDims.Length;
        var srcStrides = new long[rank];
        long s = 1;
        for (int i = rank - 1; i >= 0; i--) { srcStrides[i] = s; s *= srcDims[i]; }
        long total = s;
        if (total == 0) return;
        var dstDims = new int[rank];
        var stepInSrc = new long[rank];
        for (int k = 0; k < rank; k++) { dstDims[k] = srcDims[perm[k]]; stepInSrc[k] = srcStrides[perm[k]]; }

        // Innermost run: contiguous in both when the last dimension stays last.
        int inner = dstDims[rank - 1];
        long innerStep = stepInSrc[rank - 1];
        long rows = total / inner;
        var ps = (nint)src; var pd = (nint)dst;
        CpuParallel.ForRange((int)Math.Min(rows, int.MaxValue), 64, (r0, r1) =>
        {
            float* S = (float*)ps, D = (float*)pd;
            var idx = new int[rank];
            // decompose r0 into the outer (rank-1) indices
            long rem = r0;
            for (int k = rank - 2; k >= 0; k--) { idx[k] = (int)(rem % dstDims[k]); rem /= dstDims[k]; }
            for (long r = r0; r < r1; r++)
            {
                long off = 0;
                for (int k = 0; k < rank - 1; k++) off += idx[k] * stepInSrc[k];
                float* d = D + r * inner;
                if (innerStep == 1) new ReadOnlySpan<float>(S + off, inner).CopyTo(new Span<float>(d, inner));
                else for (int j = 0; j < inner; j++) d[j] = S[off + j * innerStep];
                for (int k = rank - 2; k >= 0; k--)
                {
                    if (++idx[k] < dstDims[k]) break;
                    idx[k] = 0;
                }
            }
        });
    }
}
