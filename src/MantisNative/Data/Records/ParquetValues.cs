using System.Collections;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace MantisNative.Data.Records;

/// <summary>
/// Parquet.Net's untyped rows hold strings as string or ReadOnlyMemory&lt;char&gt; and binary as byte[] or
/// ReadOnlyMemory&lt;byte&gt;, depending on options and nesting: these helpers accept every spelling.
/// </summary>
internal static class ParquetValues
{
    public static string? AsString(object v) => v switch
    {
        string s => s,
        ReadOnlyMemory<char> m => m.ToString(),
        Memory<char> m => m.ToString(),
        char[] c => new string(c),
        _ => null,
    };

    /// <remarks>The null arm is typed on purpose: a bare null would convert through byte[] to an *empty* memory.</remarks>
    public static ReadOnlyMemory<byte>? AsBytes(object v) => v switch
    {
        byte[] b => (ReadOnlyMemory<byte>?)b,
        ReadOnlyMemory<byte> m => m,
        Memory<byte> m => (ReadOnlyMemory<byte>)m,
        _ => (ReadOnlyMemory<byte>?)null,
    };

    /// <summary>Any other value as JSON text, for <see cref="InstructRecord.Metadata"/>.</summary>
    public static string ToJson(object v)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms)) Write(w, v);
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    private static void Write(Utf8JsonWriter w, object? v)
    {
        switch (v)
        {
            case null: w.WriteNullValue(); return;
            case bool b: w.WriteBooleanValue(b); return;
            case sbyte or byte or short or ushort or int or uint or long: w.WriteNumberValue(Convert.ToInt64(v, CultureInfo.InvariantCulture)); return;
            case ulong u: w.WriteNumberValue(u); return;
            case float or double or decimal: w.WriteNumberValue(Convert.ToDouble(v, CultureInfo.InvariantCulture)); return;
        }
        if (AsString(v!) is { } s) { w.WriteStringValue(s); return; }
        if (AsBytes(v!) is { } bytes) { w.WriteBase64StringValue(bytes.Span); return; }
        if (v is IDictionary<string, object> d)
        {
            w.WriteStartObject();
            foreach (var (k, x) in d) { w.WritePropertyName(k); Write(w, x); }
            w.WriteEndObject();
            return;
        }
        if (v is IEnumerable e)
        {
            w.WriteStartArray();
            foreach (var x in e) Write(w, x);
            w.WriteEndArray();
            return;
        }
        w.WriteStringValue(Convert.ToString(v, CultureInfo.InvariantCulture));
    }
}
