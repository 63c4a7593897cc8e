namespace MantisNative.Backends.Cpu;

/// <summary>
/// Where the micro-kernels read one KC x NC block of op(B): its NR-column panels, each either packed
/// (k-major, NR floats per k step) or, for a small row-major B, the matrix itself read in place, whose rows
/// already are NR contiguous floats per k step. In place, only a ragged last panel (nc not a multiple of NR)
/// is packed, since the kernel reads whole NR-wide rows.
/// </summary>
internal readonly unsafe struct GemmBPanels
{
    private readonly float* _first, _edge;
    private readonly nint _panelStride, _rowStride, _nr;
    private readonly int _edgePanel;

    private GemmBPanels(float* first, nint panelStride, nint rowStride, float* edge, int edgePanel, int nr)
    {
        _first = first; _panelStride = panelStride; _rowStride = rowStride; _edge = edge; _edgePanel = edgePanel; _nr = nr;
    }

    /// <summary>Panels packed one after another at <paramref name="packed"/> (KC x NR floats each).</summary>
    public static GemmBPanels Packed(GemmFamily f, float* packed, int kc)
        => new(packed, (nint)f.NR * kc, f.NR, null, -1, f.NR);

    /// <summary>
    /// Panels read in place from row-major B (the block starts at <paramref name="block"/>, rows <paramref name="ldb"/>
    /// apart); a ragged last panel comes from <paramref name="edge"/>, packed by <see cref="GemmPacking.PackB"/>.
    /// </summary>
    public static GemmBPanels InPlace(GemmFamily f, float* block, nint ldb, int nc, float* edge)
        => new(block, f.NR, ldb, edge, nc % f.NR == 0 ? -1 : nc / f.NR, f.NR);

    /// <summary>The panel's first float.</summary>
    public float* Panel(int q) => q == _edgePanel ? _edge : _first + q * _panelStride;

    /// <summary>Floats between the panel's k steps.</summary>
    public nint RowStride(int q) => q == _edgePanel ? _nr : _rowStride;

    /// <summary>The one panel that must be packed before use (in place with a ragged edge), or -1.</summary>
    public int EdgePanel => _edgePanel;

    /// <summary>
    /// Read B in place rather than pack it: B row-major, a few rows of A (packing B costs about 1/m of the
    /// multiply-adds, so it pays for itself only when many rows of A reuse it), and all of B small enough to
    /// stay in L2 (strided rows of a large B would miss cache on every k step).
    /// </summary>
    public static bool ReadInPlace(GemmFamily f, bool transB, int m, int n, int k)
        => !transB && m <= f.MCMax && (long)k * n * sizeof(float) <= CpuCaches.L2 / 2;
}
