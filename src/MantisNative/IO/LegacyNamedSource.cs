namespace MantisNative.IO;

/// <summary>
/// Presents any checkpoint under legacy Llava names (see <see cref="CheckpointNames"/>): a lookup by legacy or
/// new-style name finds the tensor whichever way the file spells it, and <see cref="Names"/> lists legacy names.
/// Infos returned keep the file's own name, so messages point at what is really in the file.
/// </summary>
public sealed unsafe class LegacyNamedSource : ITensorSource
{
    private readonly Dictionary<string, string> _legacyToActual = new(StringComparer.Ordinal);

    public LegacyNamedSource(ITensorSource inner)
    {
        Inner = inner;
        foreach (var actual in inner.Names)
        {
            string legacy = CheckpointNames.ToLegacy(actual);
            if (!_legacyToActual.TryAdd(legacy, actual))
                throw new MantisException($"{inner.Location}: tensors '{_legacyToActual[legacy]}' and '{actual}' are the same weight under old and new Llava names; keep one");
        }
    }

    public ITensorSource Inner { get; }
    public string Location => Inner.Location;
    public IReadOnlyCollection<string> Names => _legacyToActual.Keys;

    /// <summary>The name this tensor has in the underlying file.</summary>
    public string ActualName(string name) =>
        _legacyToActual.TryGetValue(CheckpointNames.ToLegacy(name), out var a) ? a : name;

    public bool Contains(string name) => _legacyToActual.ContainsKey(CheckpointNames.ToLegacy(name));

    public bool TryGetInfo(string name, out TensorInfo info)
    {
        if (_legacyToActual.TryGetValue(CheckpointNames.ToLegacy(name), out var actual)) return Inner.TryGetInfo(actual, out info);
        info = null!;
        return false;
    }

    public TensorInfo GetInfo(string name)
    {
        if (TryGetInfo(name, out var info)) return info;
        string legacy = CheckpointNames.ToLegacy(name);
        throw new MantisException($"{Location}: no tensor named '{legacy}' (nor '{CheckpointNames.ToNewStyle(legacy)}')");
    }

    public ReadOnlySpan<byte> GetBytes(string name) => Inner.GetBytes(Resolve(name));

    public byte* GetPointer(string name) => Inner.GetPointer(Resolve(name));

    private string Resolve(string name) => GetInfo(name).Name;

    public void Dispose() => Inner.Dispose();
}
