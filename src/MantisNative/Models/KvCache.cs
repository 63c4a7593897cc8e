using MantisNative.Tensors;

namespace MantisNative.Models;

/// <summary>Keys and values of every decoder layer for the tokens seen so far ([B, Hkv, S, D] each).</summary>
public sealed class KvCache : IDisposable
{
    public Tensor?[] Keys { get; }
    public Tensor?[] Values { get; }

    /// <summary>Validity of each cached position per batch row ([B, S], false = padding).</summary>
    public List<bool[]> KeyValid { get; } = new();

    public KvCache(int layers)
    {
        Keys = new Tensor?[layers];
        Values = new Tensor?[layers];
    }

    /// <summary>Positions cached so far.</summary>
    public int Length => Keys[0]?.Dim(2) ?? 0;

    public void Dispose()
    {
        foreach (var t in Keys) t?.Dispose();
        foreach (var t in Values) t?.Dispose();
    }
}
