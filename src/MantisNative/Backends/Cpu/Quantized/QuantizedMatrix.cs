namespace MantisNative.Backends.Cpu.Quantized;

/// <summary>
/// A quantized [Rows, Cols] weight seen through raw pointers (usually into a memory-mapped file). Row r's codes
/// start at <c>Codes + r * RowBytes</c>: int8 one signed byte per element; NF4 two elements per byte, element 2i in
/// the low nibble and 2i+1 in the high nibble, rows padded to whole bytes. Each row is cut into blocks of
/// <see cref="BlockSize"/> elements (the last may be shorter) with one float scale each, at
/// <c>Scales[r * BlocksPerRow + b]</c>. Element value: int8 <c>scale * code</c>; NF4 <c>scale * Nf4Codebook[code]</c>.
/// </summary>
internal readonly unsafe struct QuantizedMatrix
{
    public QuantizedMatrix(QuantizedFormat format, int rows, int cols, int blockSize, byte* codes, float* scales)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(cols);
        if (blockSize < 16 || blockSize % 16 != 0) throw new ArgumentOutOfRangeException(nameof(blockSize), blockSize, "block size must be a positive multiple of 16");
        Format = format;
        Rows = rows;
        Cols = cols;
        BlockSize = blockSize;
        Codes = codes;
        Scales = scales;
    }

    public QuantizedFormat Format { get; }
    public int Rows { get; }
    public int Cols { get; }
    public int BlockSize { get; }
    public byte* Codes { get; }
    public float* Scales { get; }

    public int RowBytes => RowBytesFor(Format, Cols);
    public int BlocksPerRow => BlocksFor(Cols, BlockSize);

    public static int RowBytesFor(QuantizedFormat format, int cols) => format == QuantizedFormat.Int8 ? cols : (cols + 1) / 2;
    public static int BlocksFor(int cols, int blockSize) => (cols + blockSize - 1) / blockSize;

    /// <summary>Block size meaning "one scale per row": the row length rounded up to a multiple of 16.</summary>
    public static int PerRowBlock(int cols) => (cols + 15) / 16 * 16;
}
