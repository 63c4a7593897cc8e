using System.Text.Encodings.Web;
using System.Text.Json;
using MantisNative.Backends.Cpu.Quantized;
using MantisNative.Tensors;

namespace MantisNative.IO.Quantization;

/// <summary>One quantized weight: its logical shape [out, in], the dtype it had, and its block size.</summary>
public sealed record QuantizedTensorEntry(string Name, int Rows, int Cols, DType OriginalDType, int BlockSize);

/// <summary>
/// <c>mantis_quantization.json</c>, the marker and table of contents of a quantized model folder
/// (docs/quantization.md): format name and version, method, and every quantized tensor with its shape, original
/// dtype and block size. Its tensors are stored as <c>{name}.qcodes</c> (U8) and <c>{name}.qscales</c> (F32).
/// </summary>
public sealed record QuantizationConfig(QuantizedFormat Method, IReadOnlyDictionary<string, QuantizedTensorEntry> Tensors)
{
    public const string FileName = "mantis_quantization.json";
    public const string FormatName = "mantis-weight-quantization";
    public const int Version = 1;
    public const string CodesSuffix = ".qcodes", ScalesSuffix = ".qscales";

    public static string MethodName(QuantizedFormat f) => f == QuantizedFormat.Int8 ? "int8" : "nf4";

    public static QuantizedFormat ParseMethod(string s, string where) => s.ToLowerInvariant() switch
    {
        "int8" => QuantizedFormat.Int8,
        "nf4" => QuantizedFormat.Nf4,
        _ => throw new MantisException($"{where}: quantization '{s}' is not supported (int8 or nf4)"),
    };

    public static QuantizationConfig Load(string folder)
    {
        string path = Path.Combine(folder, FileName);
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new MantisException($"{path}: cannot read: {e.Message}", e); }
        JsonDocument doc;
        try { doc = JsonDocument.Parse(bytes); }
        catch (JsonException e) { throw new MantisException($"{path}: not valid JSON: {e.Message}"); }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new MantisException($"{path}: must be a JSON object");
            if (!root.TryGetProperty("format", out var f) || f.ValueKind != JsonValueKind.String || f.GetString() != FormatName)
                throw new MantisException($"{path}: 'format' must be \"{FormatName}\"");
            if (!root.TryGetProperty("version", out var v) || !v.TryGetInt32(out int version))
                throw new MantisException($"{path}: has no integer 'version'");
            if (version != Version)
                throw new MantisException($"{path}: format version {version}; this mantis reads version {Version}{(version > Version ? " (written by a newer mantis)" : "")}");
            if (!root.TryGetProperty("method", out var m) || m.ValueKind != JsonValueKind.String)
                throw new MantisException($"{path}: has no 'method' string");
            var method = ParseMethod(m.GetString()!, path);
            if (!root.TryGetProperty("tensors", out var ts) || ts.ValueKind != JsonValueKind.Object)
                throw new MantisException($"{path}: has no 'tensors' object");
            var tensors = new Dictionary<string, QuantizedTensorEntry>(StringComparer.Ordinal);
            foreach (var t in ts.EnumerateObject())
            {
                var e = t.Value;
                if (e.ValueKind != JsonValueKind.Object
                    || !e.TryGetProperty("shape", out var shape) || shape.ValueKind != JsonValueKind.Array || shape.GetArrayLength() != 2
                    || !shape[0].TryGetInt32(out int rows) || !shape[1].TryGetInt32(out int cols) || rows < 1 || cols < 1)
                    throw new MantisException($"{path}: tensor '{t.Name}' needs a 'shape' [out, in] of positive integers");
                if (!e.TryGetProperty("block_size", out var bsEl) || !bsEl.TryGetInt32(out int bs) || bs < 16 || bs % 16 != 0)
                    throw new MantisException($"{path}: tensor '{t.Name}' needs a 'block_size' that is a positive multiple of 16");
                if (!e.TryGetProperty("dtype", out var dt) || dt.ValueKind != JsonValueKind.String || !DTypeInfo.TryParseSafetensors(dt.GetString()!, out var dtype)
                    || dtype is not (DType.F32 or DType.BF16 or DType.F16))
                    throw new MantisException($"{path}: tensor '{t.Name}' needs a 'dtype' of F32, BF16 or F16 (the dtype it had before quantization)");
                tensors[t.Name] = new QuantizedTensorEntry(t.Name, rows, cols, dtype, bs);
            }
            return new QuantizationConfig(method, tensors);
        }
    }

    public void Save(string folder) => AtomicFile.Write(Path.Combine(folder, FileName), stream =>
    {
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        w.WriteStartObject();
        w.WriteString("format", FormatName);
        w.WriteNumber("version", Version);
        w.WriteString("method", MethodName(Method));
        w.WriteStartObject("tensors");
        foreach (var t in Tensors.Values.OrderBy(t => t.Name, StringComparer.Ordinal))
        {
            w.WriteStartObject(t.Name);
            w.WriteStartArray("shape");
            w.WriteNumberValue(t.Rows);
            w.WriteNumberValue(t.Cols);
            w.WriteEndArray();
            w.WriteString("dtype", t.OriginalDType.SafetensorsName());
            w.WriteNumber("block_size", t.BlockSize);
            w.WriteEndObject();
        }
        w.WriteEndObject();
        w.WriteEndObject();
    });
}
