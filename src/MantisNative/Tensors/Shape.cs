namespace MantisNative.Tensors;

/// <summary>An immutable tensor shape (row-major, the last dimension varies fastest).</summary>
public sealed class Shape : IEquatable<Shape>
{
    private readonly int[] _dims;

    public Shape(params int[] dims)
    {
        foreach (var d in dims)
            if (d < 0) throw new ArgumentException($"negative dimension in shape [{string.Join(", ", dims)}]");
        _dims = (int[])dims.Clone();
        long n = 1;
        foreach (var d in _dims) n = checked(n * d);
        Numel = n;
    }

    public int Rank => _dims.Length;
    public long Numel { get; }
    public int this[int i] => _dims[i < 0 ? i + _dims.Length : i];
    public int[] ToArray() => (int[])_dims.Clone();
    public ReadOnlySpan<int> Dims => _dims;

    /// <summary>Product of the dimensions from <paramref name="start"/> (inclusive) to <paramref name="end"/> (exclusive).</summary>
    public long Prod(int start, int end)
    {
        long p = 1;
        for (int i = start; i < end; i++) p *= _dims[i];
        return p;
    }

    /// <summary>The shape with one dimension replaced.</summary>
    public Shape With(int dim, int size)
    {
        var d = ToArray();
        d[dim < 0 ? dim + d.Length : dim] = size;
        return new Shape(d);
    }

    public bool Equals(Shape? other) => other is not null && _dims.AsSpan().SequenceEqual(other._dims);
    public override bool Equals(object? obj) => Equals(obj as Shape);
    public override int GetHashCode()
    {
        var h = new HashCode();
        foreach (var d in _dims) h.Add(d);
        return h.ToHashCode();
    }

    public override string ToString() => "[" + string.Join(", ", _dims) + "]";
}
