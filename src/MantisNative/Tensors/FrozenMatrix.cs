

namespace MantisNative.Tensors;

/// <summary>
/// A frozen weight matrix W [Rows = out features, Cols = in features] kept in its own format (bf16 / f16 in place
/// in a memory-mapped checkpoint, int8 / NF4 codes with scales, or fp32), never widened to an fp32 copy. The
/// one format-specific primitive is <see cref="DecodeRow"/> (a row segment to fp32, in registers then stored to
/// a small buffer); GEMM packing (the CPU backend's FrozenPacking) and the decode GEMV are built on it, and a format
/// may override <see cref="GemvRows"/> with a fused kernel that never stores the decoded weights.
/// Used through <c>Ops.FrozenLinear</c> (y = x·Wᵀ, and dX = dY·W for training adapters on a frozen base) and
/// <c>Ops.FrozenEmbedding</c>. Disposing releases what the matrix owns (a 16-bit copy, the mapping's lease).
/// </summary>
public abstract unsafe class FrozenMatrix : IDisposable
{
    protected FrozenMatrix(WeightFormat format, int rows, int cols)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(cols);
        Format = format;
        Rows = rows;
        Cols = cols;
    }

    public WeightFormat Format { get; }
    public int Rows { get; }
    public int Cols { get; }

    /// <summary>The Hugging Face tensor name (for messages).</summary>
    public string? Name { get; set; }

    /// <summary>Bytes the matrix occupies in memory (codes and scales for quantized formats).</summary>
    public abstract long ByteSize { get; }

    /// <summary>Writes W[row, col0 .. col0 + count) as fp32 to <paramref name="dst"/>.</summary>
    public abstract void DecodeRow(int row, int col0, int count, float* dst);

    /// <summary>
    /// y[r] = Σ_c W[r, c] · x[c] for r in [r0, r1) (one input vector: a decode step). The default decodes row
    /// chunks into <paramref name="scratch"/> (at least <see cref="GemvChunk"/> floats) and takes dot products.
    /// </summary>
    public virtual void GemvRows(float* x, float* y, int r0, int r1, float* scratch)
    {
        for (int r = r0; r < r1; r++)
        {
            float sum = 0;
            for (int c0 = 0; c0 < Cols; c0 += GemvChunk)
            {
                int n = Math.Min(GemvChunk, Cols - c0);
                DecodeRow(r, c0, n, scratch);
                sum += System.Numerics.Tensors.TensorPrimitives.Dot(new ReadOnlySpan<float>(scratch, n), new ReadOnlySpan<float>(x + c0, n));
            }
            y[r] = sum;
        }
    }

    /// <summary>Columns decoded at a time by the default GEMV (16 KB of fp32: stays in L1).</summary>
    public const int GemvChunk = 4096;

    /// <summary>The whole matrix as a new fp32 tensor [Rows, Cols] (merges, uploads to a GPU, tests).</summary>
    public Tensor ToF32()
    {
        var t = Tensor.Empty(new Shape(Rows, Cols));
        float* d = t.Data;
        for (int r = 0; r < Rows; r++) DecodeRow(r, 0, Cols, d + (nint)r * Cols);
        t.Name = Name;
        return t;
    }

    protected void CheckSegment(int row, int col0, int count)
    {
        if ((uint)row >= (uint)Rows) throw new ArgumentOutOfRangeException(nameof(row), row, $"row outside [0, {Rows})");
        if (col0 < 0 || count < 0 || col0 + count > Cols)
            throw new ArgumentOutOfRangeException(nameof(count), $"columns [{col0}, {col0 + count}) outside [0, {Cols})");
    }

    public override string ToString() => $"{Name ?? "weight"} {Format.Name()} [{Rows}, {Cols}]";

    public void Dispose()
    {
        Release();
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees what the matrix owns; called once.</summary>
    protected virtual void Release() { }
}
