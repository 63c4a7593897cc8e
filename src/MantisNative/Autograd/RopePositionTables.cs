using System.Numerics;
using MantisNative.Tensors;

namespace MantisNative.Autograd;

/// <summary>
/// A decoder's RoPE cos/sin tables for positions 0..Rows-1 on its device, made once and kept (for
/// <see cref="Ops.RopeByPosition"/>): a training step's positions are 0..T-1 in every row, so the forward reads rows
/// 0..T-1 of these instead of computing and uploading [B*T, dim/2] tables each time. The values are
/// <see cref="RopeTables.Tables"/>' for those positions, bit for bit, so the result is the same as with per-token tables.
/// Grown (to the next power of two, at least <see cref="MinRows"/>) when a longer sequence comes, which happens a few
/// times per run at most; the tables are staged on the device without a host wait like any small upload.
/// </summary>
public sealed class RopePositionTables : IDisposable
{
    /// <summary>The smallest table made (32 KB per table at head dim 128 in F32).</summary>
    public const int MinRows = 256;

    private readonly float[] _invFreq;
    private Tensor? _cos, _sin;

    public RopePositionTables(float[] invFreq) => _invFreq = invFreq;

    /// <summary>Rows of the tables made so far (0 before the first use).</summary>
    public int Rows => _cos?.Dim(0) ?? 0;

    /// <summary>Tables of at least <paramref name="length"/> rows on <paramref name="device"/>.</summary>
    public (Tensor Cos, Tensor Sin) For(int length, Device device)
    {
        if (_cos is null || _sin is null || _cos.Device != device || _cos.Dim(0) < length)
        {
            // the old tables are left to the collector, not disposed: a recorded backward may still hold them
            int rows = (int)Math.Max(MinRows, BitOperations.RoundUpToPowerOf2((uint)Math.Max(length, 1)));
            var positions = new int[rows];
            for (int i = 0; i < rows; i++) positions[i] = i;
            var (cos, sin) = RopeTables.Tables(_invFreq, positions);
            int half = _invFreq.Length;
            _cos = TensorScope.Unscoped(() => RopeTables.Place(cos, rows, half, device));
            _sin = TensorScope.Unscoped(() => RopeTables.Place(sin, rows, half, device));
        }
        return (_cos, _sin);
    }

    /// <summary>True when <paramref name="positions"/> ([batch * seq]) are 0..seq-1 in every row: the case these tables serve.</summary>
    public static bool AreSequenceIndices(ReadOnlySpan<int> positions, int seq)
    {
        if (seq <= 0 || positions.Length % seq != 0) return false;
        for (int i = 0; i < positions.Length; i++)
            if (positions[i] != i % seq) return false;
        return true;
    }

    public void Dispose()
    {
        _cos?.Dispose();
        _sin?.Dispose();
        _cos = _sin = null;
    }
}
