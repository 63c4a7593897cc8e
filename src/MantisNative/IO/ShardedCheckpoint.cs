namespace MantisNative.IO;

/// <summary>
/// A checkpoint split over several safetensors files with a <c>model.safetensors.index.json</c>. Shards open
/// (and are validated) on first use, so looking at one tensor does not map all of an 8B model.
/// </summary>
public sealed unsafe class ShardedCheckpoint : ITensorSource
{
    private readonly Dictionary<string, SafetensorsFile> _open = new(StringComparer.Ordinal);
    private readonly object _lock = new();
    private bool _disposed;

    private ShardedCheckpoint(string indexPath, ShardIndex index)
    {
        IndexPath = indexPath;
        Folder = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(indexPath))!;
        Index = index;
    }

    /// <summary>
    /// Reads the index and checks that every shard it names exists (a missing shard is reported now, naming a
    /// tensor that needs it, rather than midway through loading).
    /// </summary>
    public static ShardedCheckpoint Open(string indexPath)
    {
        if (!File.Exists(indexPath))
            throw new MantisException($"{indexPath}: checkpoint index not found");
        var index = ShardIndex.Load(indexPath);
        var cp = new ShardedCheckpoint(indexPath, index);
        foreach (var group in index.WeightMap.GroupBy(kv => kv.Value, StringComparer.Ordinal))
        {
            string shardPath = System.IO.Path.Combine(cp.Folder, group.Key);
            if (!File.Exists(shardPath))
            {
                int n = group.Count();
                throw new MantisException($"{indexPath}: shard '{group.Key}' is missing from {cp.Folder}; the index maps {n} tensor(s) to it, e.g. '{group.First().Key}'");
            }
        }
        return cp;
    }

    public string IndexPath { get; }
    public string Folder { get; }
    public ShardIndex Index { get; }
    public string Location => IndexPath;
    public IReadOnlyCollection<string> Names => (IReadOnlyCollection<string>)Index.WeightMap.Keys;

    public bool Contains(string name) => Index.WeightMap.ContainsKey(name);

    public bool TryGetInfo(string name, out TensorInfo info)
    {
        if (!Index.WeightMap.TryGetValue(name, out var shard)) { info = null!; return false; }
        info = Lookup(name, shard).Info;
        return true;
    }

    public TensorInfo GetInfo(string name) => Lookup(name).Info;

    public ReadOnlySpan<byte> GetBytes(string name)
    {
        var (file, info) = Lookup(name);
        return file.GetBytes(info);
    }

    public byte* GetPointer(string name) => Lookup(name).File.GetPointer(name);

    /// <summary>The open shard that holds <paramref name="name"/>.</summary>
    public SafetensorsFile ShardOf(string name) => Lookup(name).File;

    private (SafetensorsFile File, TensorInfo Info) Lookup(string name)
    {
        if (!Index.WeightMap.TryGetValue(name, out var shard))
            throw new MantisException($"{IndexPath}: no tensor named '{name}' in the checkpoint index");
        return Lookup(name, shard);
    }

    private (SafetensorsFile File, TensorInfo Info) Lookup(string name, string shard)
    {
        var file = OpenShard(shard);
        if (!file.TryGetInfo(name, out var info))
            throw new MantisException($"{IndexPath}: the index puts tensor '{name}' in shard '{shard}', but that shard has no such tensor");
        return (file, info);
    }

    private SafetensorsFile OpenShard(string shard)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_open.TryGetValue(shard, out var f)) return f;
            string path = System.IO.Path.Combine(Folder, shard);
            if (!File.Exists(path))
                throw new MantisException($"{IndexPath}: shard '{shard}' is missing from {Folder}");
            f = SafetensorsFile.Open(path);
            _open[shard] = f;
            return f;
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            foreach (var f in _open.Values) f.Dispose();
            _open.Clear();
        }
    }
}
