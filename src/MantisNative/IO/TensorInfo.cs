using MantisNative.Tensors;

namespace MantisNative.IO;

/// <summary>
/// One tensor's entry in a safetensors header: where its raw little-endian bytes lie.
/// <see cref="DataOffset"/> is relative to the start of the data region (after the header), as in the file.
/// </summary>
public sealed class TensorInfo
{
    private readonly long[] _shape;

    public TensorInfo(string name, DType dtype, long[] shape, long dataOffset, long byteLength)
    {
        Name = name;
        DType = dtype;
        _shape = (long[])shape.Clone();
        DataOffset = dataOffset;
        ByteLength = byteLength;
        long n = 1;
        foreach (var d in _shape) n *= d; // the header parser has already checked this cannot overflow
        ElementCount = n;
    }

    public string Name { get; }
    public DType DType { get; }

    /// <summary>A copy of the shape (callers cannot change the header through it). Empty for a scalar.</summary>
    public long[] Shape => (long[])_shape.Clone();

    /// <summary>The shape without a copy.</summary>
    public ReadOnlySpan<long> ShapeSpan => _shape;

    public int Rank => _shape.Length;
    public long Dim(int i) => _shape[i];
    public long ElementCount { get; }
    public long DataOffset { get; }
    public long ByteLength { get; }

    public string ShapeString => "[" + string.Join(", ", _shape) + "]";

    public override string ToString() => $"{Name} {DType.SafetensorsName()} {ShapeString}";
}
