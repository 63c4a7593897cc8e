using MantisNative.Autograd;
using MantisNative.Tensors;

namespace MantisNative.Models;

/// <summary>
/// Keys and values of every decoder layer for the tokens seen so far ([B, S, Hkv, D] each: token-major, as attention
/// reads them). Two kinds: a growing
/// cache (each step concatenates, S = tokens so far; any number of new tokens per step) and a preallocated one
/// (S = capacity from the start, filled in place: no reallocation per step; one prompt, then one token per step,
/// with a key mask over the capacity saying which positions are filled).
/// </summary>
public sealed class KvCache : IDisposable
{
    public Tensor?[] Keys { get; }
    public Tensor?[] Values { get; }

    /// <summary>Positions the preallocated buffers hold; 0 for a growing cache.</summary>
    public int Capacity { get; }

    private int _filled;

    public KvCache(int layers)
    {
        Keys = new Tensor?[layers];
        Values = new Tensor?[layers];
    }

    private KvCache(int layers, int capacity) : this(layers) => Capacity = capacity;

    /// <summary>A cache of <paramref name="capacity"/> positions per row; the buffers are made (zeroed) on the first write, on the keys' device and dtype.</summary>
    public static KvCache Preallocated(int layers, int capacity)
    {
        if (capacity < 1) throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "a preallocated KV cache needs a positive capacity");
        return new KvCache(layers, capacity);
    }

    public bool IsPreallocated => Capacity > 0;

    /// <summary>Positions cached so far.</summary>
    public int Length => IsPreallocated ? _filled : Keys[0]?.Dim(1) ?? 0;

    /// <summary>
    /// Adds one layer's new keys and values ([B, T, Hkv, D]) and returns what attention reads: for a growing cache the
    /// whole history; for a preallocated one the new block itself when it is the prompt (nothing cached before), else
    /// the full-capacity buffers (unfilled positions are masked by the caller).
    /// </summary>
    internal (Tensor K, Tensor V) Append(int layer, Tensor k, Tensor v)
    {
        if (!IsPreallocated)
        {
            if (Keys[layer] is { } pk)
            {
                var pv = Values[layer]!;
                k = Ops.Concat(new[] { pk, k }, 1);
                v = Ops.Concat(new[] { pv, v }, 1);
                pk.Dispose();
                pv.Dispose();
            }
            Keys[layer] = k;
            Values[layer] = v;
            return (k, v);
        }
        int t = k.Dim(1);
        if (_filled > 0 && t != 1)
            throw new InvalidOperationException($"a preallocated KV cache takes one prompt, then one token per step; got {t} tokens after {_filled}");
        if (_filled + t > Capacity)
            throw new InvalidOperationException($"KV cache full: {_filled} + {t} tokens exceed its capacity of {Capacity}");
        var shape = new Shape(k.Dim(0), Capacity, k.Dim(2), k.Dim(3));
        Keys[layer] ??= Tensor.ZerosOn(k.Device, shape, k.DType);
        Values[layer] ??= Tensor.ZerosOn(v.Device, shape, v.DType);
        Ops.WriteSlice(Keys[layer]!, 1, _filled, k);
        Ops.WriteSlice(Values[layer]!, 1, _filled, v);
        return _filled == 0 ? (k, v) : (Keys[layer]!, Values[layer]!);
    }

    /// <summary>Called once all layers have appended a step's tokens.</summary>
    internal void Advance(int tokens)
    {
        if (IsPreallocated) _filled += tokens;
    }

    public void Dispose()
    {
        foreach (var t in Keys) t?.Dispose();
        foreach (var t in Values) t?.Dispose();
    }
}
