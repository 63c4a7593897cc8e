namespace MantisNative.Backends.Cuda;

/// <summary>
/// The arguments of kernels/tensor_ops.cu's permute: the output dims and, for each, the input stride it walks,
/// right-aligned in 6 slots (leading slots are size 1, stride 0). Pure arithmetic, so it is tested on any machine.
/// </summary>
internal static class PermuteGeometry
{
    public const int MaxRank = 6;

    /// <summary>Output dimension k is input dimension perm[k].</summary>
    public static (int[] Dims, long[] Strides) For(IReadOnlyList<int> inputDims, IReadOnlyList<int> perm)
    {
        int r = inputDims.Count;
        if (r > MaxRank) throw new MantisException($"Permute on the device supports rank <= {MaxRank}, got rank {r}");
        var inStride = new long[r];
        long s = 1;
        for (int i = r - 1; i >= 0; i--) { inStride[i] = s; s *= inputDims[i]; }
        var dims = Enumerable.Repeat(1, MaxRank).ToArray();
        var strides = new long[MaxRank];
        for (int k = 0; k < r; k++)
        {
            dims[MaxRank - r + k] = inputDims[perm[k]];
            strides[MaxRank - r + k] = inStride[perm[k]];
        }
        return (dims, strides);
    }

    /// <summary>The input element the kernel reads for output element <paramref name="o"/> (the kernel's own index math).</summary>
    public static long SourceIndex(long o, int[] dims, long[] strides)
    {
        long src = 0;
        for (int k = MaxRank - 1; k >= 0; k--)
        {
            src += o % dims[k] * strides[k];
            o /= dims[k];
        }
        return src;
    }
}
