using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Encodings.Web;
using System.Text.Json;
using MantisNative.Tensors;

namespace MantisNative.IO;

/// <summary>
/// Collects tensors (name, dtype, shape, data or a way to produce it) and metadata, then writes a safetensors
/// file or a sharded checkpoint. Data is produced only while writing, tensor by tensor, so saving a model
/// does not copy all its weights first. Layout follows the reference implementation: header names sorted,
/// header padded with spaces to a multiple of 8 bytes, data ordered as the Rust crate orders it (dtype, larger
/// elements first, then name) so every tensor stays aligned to its element size.
/// </summary>
public sealed class SafetensorsWriter
{
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    /// <summary>The <c>__metadata__</c> map (string to string). Empty means no <c>__metadata__</c> key.</summary>
    public Dictionary<string, string> Metadata { get; } = new(StringComparer.Ordinal);

    public int Count => _entries.Count;

    /// <summary>Adds a tensor from raw little-endian bytes (kept by reference until the write).</summary>
    public void Add(string name, DType dtype, ReadOnlySpan<long> shape, ReadOnlyMemory<byte> data)
    {
        long bytes = ByteLength(name, dtype, shape);
        if (data.Length != bytes)
            throw new ArgumentException($"tensor '{name}': shape [{string.Join(", ", shape.ToArray())}] x {dtype.SafetensorsName()} needs {bytes} bytes, {data.Length} given");
        AddEntry(new Entry(name, dtype, shape.ToArray(), bytes, s => s.Write(data.Span)));
    }

    /// <summary>
    /// Adds a tensor whose bytes <paramref name="writeData"/> streams at write time; it must write exactly
    /// shape x dtype bytes (checked).
    /// </summary>
    public void Add(string name, DType dtype, ReadOnlySpan<long> shape, Action<Stream> writeData)
    {
        long bytes = ByteLength(name, dtype, shape);
        AddEntry(new Entry(name, dtype, shape.ToArray(), bytes, writeData));
    }

    /// <summary>Adds float values, stored as <paramref name="storeAs"/> (F32, BF16 or F16; rounding to nearest even).</summary>
    public void AddFloat32(string name, ReadOnlySpan<long> shape, ReadOnlyMemory<float> values, DType storeAs = DType.F32)
    {
        if (storeAs is not (DType.F32 or DType.BF16 or DType.F16))
            throw new ArgumentException($"tensor '{name}': floats can be stored as F32, BF16 or F16, not {storeAs.SafetensorsName()}");
        long count = ElementCount(name, shape);
        if (values.Length != count)
            throw new ArgumentException($"tensor '{name}': shape [{string.Join(", ", shape.ToArray())}] has {count} elements, {values.Length} values given");
        if (storeAs == DType.F32)
        {
            Add(name, DType.F32, shape, s => s.Write(MemoryMarshal.AsBytes(values.Span)));
            return;
        }
        Add(name, storeAs, shape, s => WriteHalfs(s, values, storeAs));
    }

    /// <summary>Adds 64-bit integers (ids, labels).</summary>
    public void AddInt64(string name, ReadOnlySpan<long> shape, ReadOnlyMemory<long> values)
    {
        long count = ElementCount(name, shape);
        if (values.Length != count)
            throw new ArgumentException($"tensor '{name}': shape [{string.Join(", ", shape.ToArray())}] has {count} elements, {values.Length} values given");
        Add(name, DType.I64, shape, s => s.Write(MemoryMarshal.AsBytes(values.Span)));
    }

    /// <summary>
    /// Adds tensor <paramref name="name"/> of <paramref name="source"/> (bytes copied at write time, unchanged),
    /// under <paramref name="newName"/> if given. The source must stay open until the write.
    /// </summary>
    public unsafe void AddFrom(ITensorSource source, string name, string? newName = null)
    {
        var info = source.GetInfo(name);
        AddEntry(new Entry(newName ?? name, info.DType, info.Shape, info.ByteLength, s =>
        {
            byte* p = source.GetPointer(name);
            const int block = 1 << 26;
            for (long done = 0; done < info.ByteLength; done += block)
                s.Write(new ReadOnlySpan<byte>(p + done, (int)Math.Min(block, info.ByteLength - done)));
        }));
    }

    /// <summary>Writes one safetensors file, atomically (temporary file, then rename).</summary>
    public void Save(string path) => AtomicFile.Write(path, fs => WriteTo(fs, _entries.Values, path));

    /// <summary>
    /// Writes shards of at most <paramref name="maxShardBytes"/> of tensor data (a larger tensor gets a shard of its
    /// own) named <c>{prefix}-00001-of-0000N.safetensors</c> plus <c>{prefix}.safetensors.index.json</c>, the
    /// Hugging Face layout. With a single shard it writes just <c>{prefix}.safetensors</c>, as transformers does.
    /// Every file is written under a temporary name first; the renames happen after all are complete, index last.
    /// Returns the paths written.
    /// </summary>
    public IReadOnlyList<string> SaveSharded(string folder, long maxShardBytes, string prefix = "model")
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxShardBytes, 1);
        Directory.CreateDirectory(folder);
        var shards = new List<List<Entry>>();
        long current = 0;
        // Assign in name order so the split does not depend on the order of Add calls.
        foreach (var e in _entries.Values.OrderBy(e => e.Name, StringComparer.Ordinal))
        {
            if (shards.Count == 0 || (current + e.ByteLength > maxShardBytes && current > 0))
            {
                shards.Add([]);
                current = 0;
            }
            shards[^1].Add(e);
            current += e.ByteLength;
        }
        if (shards.Count == 0) shards.Add([]);

        if (shards.Count == 1)
        {
            string single = Path.Combine(folder, prefix + ".safetensors");
            Save(single);
            RemoveStale(folder, prefix, [single]);
            return [single];
        }

        var pending = new List<(string Tmp, string Final)>();
        try
        {
            var weightMap = new Dictionary<string, string>(StringComparer.Ordinal);
            long total = 0;
            for (int i = 0; i < shards.Count; i++)
            {
                string fileName = $"{prefix}-{i + 1:D5}-of-{shards.Count:D5}.safetensors";
                string final = Path.Combine(folder, fileName);
                string tmp = AtomicFile.TempNameFor(final);
                var shard = shards[i];
                AtomicFile.WriteTemp(tmp, fs => WriteTo(fs, shard, final));
                pending.Add((tmp, final));
                foreach (var e in shard) { weightMap[e.Name] = fileName; total += e.ByteLength; }
            }
            var index = new ShardIndex(weightMap, total);
            string indexPath = Path.Combine(folder, prefix + ".safetensors.index.json");
            string indexTmp = AtomicFile.TempNameFor(indexPath);
            AtomicFile.WriteTemp(indexTmp, index.WriteTo);
            pending.Add((indexTmp, indexPath));
            foreach (var (tmp, final) in pending) AtomicFile.Commit(tmp, final);
            var written = pending.Select(p => p.Final).ToList();
            RemoveStale(folder, prefix, written);
            return written;
        }
        catch
        {
            foreach (var (tmp, _) in pending) AtomicFile.TryDelete(tmp);
            throw;
        }
    }

    /// <summary>
    /// Deletes weight files of an earlier save under the same prefix (a single file, other shards, an old index),
    /// as transformers does: left behind, an old index would win over a new single file when the folder is opened.
    /// Runs only after the new files are complete and in place.
    /// </summary>
    private static void RemoveStale(string folder, string prefix, IReadOnlyList<string> written)
    {
        var keep = new HashSet<string>(written.Select(Path.GetFullPath), StringComparer.Ordinal);
        var pattern = new System.Text.RegularExpressions.Regex(
            "^" + System.Text.RegularExpressions.Regex.Escape(prefix) + @"(-\d{5}-of-\d{5})?\.safetensors(\.index\.json)?$");
        foreach (var file in Directory.EnumerateFiles(folder))
            if (pattern.IsMatch(Path.GetFileName(file)) && !keep.Contains(Path.GetFullPath(file)))
                AtomicFile.TryDelete(file);
    }

    /// <summary>Writes header and data of <paramref name="entries"/> to <paramref name="stream"/>.</summary>
    private void WriteTo(Stream stream, IEnumerable<Entry> entries, string pathForMessages)
    {
        var layout = entries
            .OrderBy(e => LayoutRank(e.DType))
            .ThenBy(e => e.Name, StringComparer.Ordinal)
            .ToList();
        var offsets = new Dictionary<string, (long Begin, long End)>(StringComparer.Ordinal);
        long pos = 0;
        foreach (var e in layout) { offsets[e.Name] = (pos, pos + e.ByteLength); pos += e.ByteLength; }

        byte[] header = BuildHeader(layout, offsets);
        Span<byte> prefix = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)header.Length);
        stream.Write(prefix);
        stream.Write(header);
        foreach (var e in layout)
        {
            long before = stream.Position;
            e.WriteData(stream);
            long written = stream.Position - before;
            if (written != e.ByteLength)
                throw new InvalidOperationException($"{pathForMessages}: tensor '{e.Name}' wrote {written} bytes, {e.ByteLength} expected");
        }
    }

    /// <summary>Compact JSON like the Rust writer, names sorted, padded with spaces to a multiple of 8.</summary>
    private byte[] BuildHeader(List<Entry> layout, Dictionary<string, (long Begin, long End)> offsets)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            if (Metadata.Count > 0)
            {
                w.WriteStartObject("__metadata__");
                foreach (var kv in Metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal)) w.WriteString(kv.Key, kv.Value);
                w.WriteEndObject();
            }
            foreach (var e in layout.OrderBy(e => e.Name, StringComparer.Ordinal))
            {
                w.WriteStartObject(e.Name);
                w.WriteString("dtype", e.DType.SafetensorsName());
                w.WriteStartArray("shape");
                foreach (var d in e.Shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offsets[e.Name].Begin);
                w.WriteNumberValue(offsets[e.Name].End);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        int pad = (int)((8 - ms.Length % 8) % 8);
        for (int i = 0; i < pad; i++) ms.WriteByte((byte)' ');
        if (ms.Length > SafetensorsHeader.MaxHeaderBytes)
            throw new MantisException($"safetensors header would be {ms.Length} bytes, above the {SafetensorsHeader.MaxHeaderBytes}-byte limit readers accept; write shards");
        return ms.ToArray();
    }

    /// <summary>
    /// The Rust crate's data order: its Dtype enum order, descending (I64, F32, I32, BF16, F16, U8, BOOL), which
    /// puts larger elements first and so keeps every tensor aligned to its element size.
    /// </summary>
    private static int LayoutRank(DType t) => t switch
    {
        DType.I64 => 0, DType.F32 => 1, DType.I32 => 2, DType.BF16 => 3, DType.F16 => 4, DType.U8 => 5, DType.Bool => 6,
        _ => throw new ArgumentOutOfRangeException(nameof(t)),
    };

    private void AddEntry(Entry e)
    {
        if (!_entries.TryAdd(e.Name, e))
            throw new ArgumentException($"tensor '{e.Name}' was added twice");
    }

    private static long ElementCount(string name, ReadOnlySpan<long> shape)
    {
        if (string.IsNullOrEmpty(name) || name == "__metadata__")
            throw new ArgumentException($"'{name}' cannot be a tensor name");
        long n = 1;
        foreach (var d in shape)
        {
            if (d < 0) throw new ArgumentException($"tensor '{name}': negative dimension in shape [{string.Join(", ", shape.ToArray())}]");
            n = checked(n * d);
        }
        return n;
    }

    private static long ByteLength(string name, DType dtype, ReadOnlySpan<long> shape) =>
        checked(ElementCount(name, shape) * dtype.SizeOf());

    private static void WriteHalfs(Stream s, ReadOnlyMemory<float> values, DType dtype)
    {
        const int block = 1 << 16;
        var buf = new ushort[Math.Min(block, values.Length)];
        for (int done = 0; done < values.Length; done += block)
        {
            int n = Math.Min(block, values.Length - done);
            var src = values.Span.Slice(done, n);
            if (dtype == DType.BF16) FloatConversion.ToBFloat16(src, buf);
            else FloatConversion.ToFloat16(src, buf);
            s.Write(MemoryMarshal.AsBytes(buf.AsSpan(0, n)));
        }
    }

    private sealed record Entry(string Name, DType DType, long[] Shape, long ByteLength, Action<Stream> WriteData);
}
