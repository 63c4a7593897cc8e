using System.Globalization;
using System.Text.Json;

namespace MantisNative.Models.Config;

/// <summary>Small helpers for writing config.json the way Python's json module would.</summary>
internal static class ConfigJson
{
    /// <summary>
    /// Writes a float the Python way: integral values keep a ".0" (500000.0), others the shortest round-trip
    /// form with a lower-case exponent (1e-05), so a config we save reads back to exactly the same numbers.
    /// </summary>
    public static void WriteDouble(Utf8JsonWriter w, string name, double v)
    {
        w.WritePropertyName(name);
        WriteDoubleValue(w, v);
    }

    public static void WriteDoubleValue(Utf8JsonWriter w, double v)
    {
        if (!double.IsFinite(v)) throw new ArgumentException($"cannot write {v} to JSON");
        string s;
        if (v == Math.Floor(v) && Math.Abs(v) < 1e16) s = v.ToString("F1", CultureInfo.InvariantCulture);
        else
        {
            s = v.ToString("R", CultureInfo.InvariantCulture).Replace('E', 'e');
            int e = s.IndexOf('e');
            // Python writes at least two exponent digits: 1e-05, not 1e-5.
            if (e >= 0)
            {
                string mant = s[..e];
                string exp = s[(e + 1)..];
                char sign = exp[0] is '-' or '+' ? exp[0] : '+';
                string digits = exp.TrimStart('-', '+');
                if (digits.Length < 2) digits = "0" + digits;
                s = mant + "e" + sign + digits;
            }
        }
        w.WriteRawValue(s);
    }

    public static void WriteNullableInt(Utf8JsonWriter w, string name, int? v)
    {
        if (v is int i) w.WriteNumber(name, i);
        else w.WriteNull(name);
    }

    /// <summary>One id as a number, several as a list, none as null (how transformers configs store eos_token_id).</summary>
    public static void WriteIds(Utf8JsonWriter w, string name, int[] ids)
    {
        if (ids.Length == 0) w.WriteNull(name);
        else if (ids.Length == 1) w.WriteNumber(name, ids[0]);
        else
        {
            w.WriteStartArray(name);
            foreach (var id in ids) w.WriteNumberValue(id);
            w.WriteEndArray();
        }
    }
}
