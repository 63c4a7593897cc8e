using System.Text.Json;
using MantisNative.Tensors;

namespace MantisNative.IO;

/// <summary>
/// A parsed and fully validated safetensors header. Validation happens here, before any tensor data is
/// touched, so that a damaged or hostile file fails with a message naming the file and the tensor instead of
/// an out-of-range read later. The rules follow the reference (Rust) implementation: tensors must tile the data
/// region exactly (no overlap, no hole, nothing after the last tensor).
/// </summary>
public sealed class SafetensorsHeader
{
    /// <summary>The reference implementation refuses headers above 100 MB; so do we.</summary>
    public const long MaxHeaderBytes = 100_000_000;

    private readonly Dictionary<string, TensorInfo> _byName;

    private SafetensorsHeader(List<TensorInfo> ordered, Dictionary<string, string> metadata, long dataLength)
    {
        Tensors = ordered;
        _byName = new Dictionary<string, TensorInfo>(ordered.Count, StringComparer.Ordinal);
        foreach (var t in ordered) _byName[t.Name] = t;
        Metadata = metadata;
        DataLength = dataLength;
    }

    /// <summary>The tensors in data order (by offset).</summary>
    public IReadOnlyList<TensorInfo> Tensors { get; }

    /// <summary>The <c>__metadata__</c> map (empty when absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Bytes of tensor data (the sum of the tensors' sizes).</summary>
    public long DataLength { get; }

    public bool TryGet(string name, out TensorInfo info) => _byName.TryGetValue(name, out info!);

    public IReadOnlyDictionary<string, TensorInfo> ByName => _byName;

    /// <summary>
    /// Checks the 8-byte length prefix against the file's size; returns the header length.
    /// </summary>
    public static long CheckHeaderLength(ulong headerLength, long fileLength, string file)
    {
        if (headerLength > MaxHeaderBytes)
            throw new MantisException($"{file}: safetensors header length {headerLength} is larger than the {MaxHeaderBytes}-byte limit (not a safetensors file, or a damaged one)");
        if ((long)headerLength > fileLength - 8)
            throw new MantisException($"{file}: safetensors header length {headerLength} is larger than the file allows ({fileLength} bytes in all): the file is truncated or not a safetensors file");
        if (headerLength < 2)
            throw new MantisException($"{file}: safetensors header length {headerLength} is too small to hold a JSON object");
        return (long)headerLength;
    }

    /// <summary>
    /// Parses the JSON header. <paramref name="dataLength"/> is the number of bytes after the header
    /// (file length - 8 - header length); the tensors must fill it exactly.
    /// </summary>
    public static SafetensorsHeader Parse(ReadOnlySpan<byte> json, long dataLength, string file)
    {
        if (!System.Text.Unicode.Utf8.IsValid(json))
            throw new MantisException($"{file}: safetensors header is not valid UTF-8");
        if (json.Length == 0 || json[0] != (byte)'{')
            throw new MantisException($"{file}: safetensors header does not start with '{{' (not a safetensors file?)");

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json.ToArray(), new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            throw new MantisException($"{file}: safetensors header is not valid JSON: {e.Message}");
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new MantisException($"{file}: safetensors header is not a JSON object");

            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var tensors = new List<TensorInfo>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            bool sawMetadata = false;
            foreach (var prop in root.EnumerateObject())
            {
                string name = prop.Name;
                if (name == "__metadata__")
                {
                    if (sawMetadata) throw new MantisException($"{file}: safetensors header has '__metadata__' twice");
                    sawMetadata = true;
                    ParseMetadata(prop.Value, metadata, file);
                    continue;
                }
                if (!seen.Add(name))
                    throw new MantisException($"{file}: tensor '{name}' appears twice in the safetensors header");
                tensors.Add(ParseEntry(name, prop.Value, file));
            }

            CheckLayout(tensors, dataLength, file);
            return new SafetensorsHeader(tensors, metadata, dataLength);
        }
    }

    private static void ParseMetadata(JsonElement value, Dictionary<string, string> metadata, string file)
    {
        if (value.ValueKind == JsonValueKind.Null) return;
        if (value.ValueKind != JsonValueKind.Object)
            throw new MantisException($"{file}: safetensors '__metadata__' must be an object of strings, got {value.ValueKind}");
        foreach (var m in value.EnumerateObject())
        {
            if (m.Value.ValueKind != JsonValueKind.String)
                throw new MantisException($"{file}: safetensors '__metadata__' entry '{m.Name}' must be a string, got {m.Value.ValueKind}");
            if (!metadata.TryAdd(m.Name, m.Value.GetString()!))
                throw new MantisException($"{file}: safetensors '__metadata__' has key '{m.Name}' twice");
        }
    }

    private static TensorInfo ParseEntry(string name, JsonElement e, string file)
    {
        string where = $"{file}: tensor '{name}'";
        if (e.ValueKind != JsonValueKind.Object)
            throw new MantisException($"{where}: header entry must be an object with dtype, shape and data_offsets, got {e.ValueKind}");

        if (!e.TryGetProperty("dtype", out var dtEl) || dtEl.ValueKind != JsonValueKind.String)
            throw new MantisException($"{where}: header entry has no string 'dtype'");
        string dtName = dtEl.GetString()!;
        if (!DTypeInfo.TryParseSafetensors(dtName, out var dtype))
            throw new MantisException(KnownButUnsupported.Contains(dtName)
                ? $"{where}: dtype {dtName} is not supported by MantisNative (supported: F32, BF16, F16, I64, I32, U8, BOOL)"
                : $"{where}: unknown dtype '{dtName}'");

        if (!e.TryGetProperty("shape", out var shEl) || shEl.ValueKind != JsonValueKind.Array)
            throw new MantisException($"{where}: header entry has no 'shape' array");
        var shape = new long[shEl.GetArrayLength()];
        long elements = 1;
        int i = 0;
        foreach (var d in shEl.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out long dim) || dim < 0)
                throw new MantisException($"{where}: shape {shEl.GetRawText()} must hold non-negative integers");
            shape[i++] = dim;
            try { elements = checked(elements * dim); }
            catch (OverflowException) { throw new MantisException($"{where}: shape {shEl.GetRawText()} has too many elements"); }
        }

        if (!e.TryGetProperty("data_offsets", out var offEl) || offEl.ValueKind != JsonValueKind.Array || offEl.GetArrayLength() != 2)
            throw new MantisException($"{where}: header entry needs 'data_offsets' as [begin, end]");
        var begin = offEl[0];
        var end = offEl[1];
        if (begin.ValueKind != JsonValueKind.Number || !begin.TryGetInt64(out long b) || b < 0
            || end.ValueKind != JsonValueKind.Number || !end.TryGetInt64(out long en) || en < 0)
            throw new MantisException($"{where}: data_offsets {offEl.GetRawText()} must be two non-negative integers");
        if (en < b)
            throw new MantisException($"{where}: data_offsets {offEl.GetRawText()} end before they begin");

        long bytes;
        try { bytes = checked(elements * dtype.SizeOf()); }
        catch (OverflowException) { throw new MantisException($"{where}: shape {shEl.GetRawText()} is too large for dtype {dtName}"); }
        if (en - b != bytes)
            throw new MantisException($"{where}: shape {shEl.GetRawText()} x {dtName} needs {bytes} bytes but data_offsets {offEl.GetRawText()} span {en - b}");

        return new TensorInfo(name, dtype, shape, b, bytes);
    }

    /// <summary>The tensors, sorted by offset, must follow each other with no gap and no overlap, from 0 to the end of the data.</summary>
    private static void CheckLayout(List<TensorInfo> tensors, long dataLength, string file)
    {
        // Zero-size tensors may share an offset with a neighbour; ordering by (begin, end) keeps them before it.
        tensors.Sort((x, y) =>
        {
            int c = x.DataOffset.CompareTo(y.DataOffset);
            return c != 0 ? c : x.ByteLength.CompareTo(y.ByteLength);
        });
        long expected = 0;
        TensorInfo? previous = null;
        foreach (var t in tensors)
        {
            long end = t.DataOffset + t.ByteLength; // cannot overflow: both come from validated offsets
            if (end > dataLength)
                throw new MantisException($"{file}: tensor '{t.Name}' data_offsets [{t.DataOffset}, {end}] run past the end of the data ({dataLength} bytes after the header): the file is truncated or the header is wrong");
            if (t.DataOffset < expected)
                throw new MantisException($"{file}: tensor '{t.Name}' data_offsets [{t.DataOffset}, {end}] overlap tensor '{previous!.Name}' (which ends at {expected})");
            if (t.DataOffset > expected)
                throw new MantisException(previous is null
                    ? $"{file}: tensor '{t.Name}' starts at data offset {t.DataOffset}, leaving a hole of {t.DataOffset} bytes at the start of the data"
                    : $"{file}: tensor '{t.Name}' starts at data offset {t.DataOffset}, leaving a hole of {t.DataOffset - expected} bytes after tensor '{previous.Name}' (which ends at {expected})");
            expected = end;
            previous = t;
        }
        if (expected != dataLength)
            throw new MantisException(previous is null
                ? $"{file}: safetensors header lists no tensors but {dataLength} bytes of data follow it"
                : $"{file}: {dataLength - expected} bytes follow the last tensor '{previous.Name}' (data ends at {expected}, file data is {dataLength} bytes)");
    }

    /// <summary>Valid safetensors dtypes that MantisNative does not read, so that the message says so rather than "unknown".</summary>
    private static readonly HashSet<string> KnownButUnsupported = new(StringComparer.Ordinal)
    {
        "F64", "I8", "I16", "U16", "U32", "U64", "F8_E4M3", "F8_E5M2", "F8_E8M0", "F6_E2M3", "F6_E3M2", "F4", "C64",
    };
}
