using System.Text;
using System.Text.Json.Nodes;

namespace MantisNative.Tests.Fuzz;

/// <summary>What one mutation did to a JSON document: the path it touched and the value it put there (null: other edits).</summary>
internal sealed record JsonEdit(string[] Path, JsonNode? Value, bool SetValue);

/// <summary>
/// Seeded mutations of JSON documents and raw bytes, the shapes malformed files take in the wild: values of the wrong
/// type or absurd size, missing and unknown keys, deep nesting, truncation, flipped bytes and invalid UTF-8.
/// </summary>
internal sealed class JsonMutator
{
    private readonly Random _rng;
    public JsonMutator(Random rng) => _rng = rng;

    private static readonly Func<Random, JsonNode?>[] Values =
    {
        _ => JsonValue.Create(1_000_000_000_000L),
        _ => JsonValue.Create(2147483648L),
        _ => JsonValue.Create(int.MaxValue),
        _ => JsonValue.Create(-1),
        _ => JsonValue.Create(0),
        _ => JsonValue.Create(1.5),
        _ => JsonValue.Create(1e308),
        _ => JsonValue.Create(-1e-300),
        r => JsonValue.Create(r.Next(-3, 100_000)),
        _ => JsonValue.Create("x"),
        _ => JsonValue.Create(""),
        _ => JsonValue.Create(new string('a', 70_000)),
        _ => JsonValue.Create("../../etc/passwd"),
        _ => JsonValue.Create("F32"),
        _ => JsonValue.Create("I64"),
        _ => null,
        _ => JsonValue.Create(true),
        _ => new JsonArray(),
        _ => new JsonObject(),
        _ => new JsonArray(JsonValue.Create(0), JsonValue.Create(-5)),
        _ => new JsonArray(JsonValue.Create(4_000_000_000L), JsonValue.Create(4_000_000_000L)),
        _ => Deep(40),
    };

    private static JsonNode Deep(int depth)
    {
        JsonNode n = new JsonArray();
        for (int i = 0; i < depth; i++) n = new JsonArray(n);
        return n;
    }

    public JsonNode? RandomValue() => Values[_rng.Next(Values.Length)](_rng);

    /// <summary>Applies one structural edit to <paramref name="root"/> in place.</summary>
    public JsonEdit Mutate(JsonNode root)
    {
        var (parent, key, path) = PickNode(root);
        int op = _rng.Next(10);
        if (parent is JsonObject o && key is string k)
        {
            if (op < 6) { var v = RandomValue(); o[k] = v; return new JsonEdit(path, v, true); }
            if (op < 8) { o.Remove(k); return new JsonEdit(path, null, false); }
            o["fuzz_" + _rng.Next(1000)] = RandomValue();
            return new JsonEdit(path, null, false);
        }
        if (parent is JsonArray a && key is int i)
        {
            if (op < 6) { a[i] = RandomValue(); return new JsonEdit(path, null, false); }
            if (op < 8) { a.RemoveAt(i); return new JsonEdit(path, null, false); }
            a.Add(RandomValue());
            return new JsonEdit(path, null, false);
        }
        return new JsonEdit(path, null, false);
    }

    /// <summary>A random container and one of its keys/indices (the root's own children when it has no deeper ones).</summary>
    private (JsonNode? Parent, object? Key, string[] Path) PickNode(JsonNode root)
    {
        JsonNode? parent = null;
        object? key = null;
        var path = new List<string>();
        JsonNode? node = root;
        while (node is JsonObject or JsonArray)
        {
            if (node is JsonObject o && o.Count > 0)
            {
                var k = o.ElementAt(_rng.Next(o.Count)).Key;
                parent = node; key = k; path.Add(k); node = o[k];
            }
            else if (node is JsonArray a && a.Count > 0)
            {
                int i = _rng.Next(a.Count);
                parent = node; key = i; path.Add(i.ToString(System.Globalization.CultureInfo.InvariantCulture)); node = a[i];
            }
            else break;
            if (_rng.Next(3) == 0) break; // stop at any depth
        }
        return (parent, key, path.ToArray());
    }

    /// <summary>Byte-level damage: flips, truncation, invalid UTF-8, inserted junk.</summary>
    public byte[] Damage(byte[] bytes)
    {
        var b = bytes.ToList();
        int n = 1 + _rng.Next(3);
        for (int j = 0; j < n && b.Count > 0; j++)
        {
            int at = _rng.Next(b.Count);
            switch (_rng.Next(5))
            {
                case 0: b[at] ^= (byte)(1 << _rng.Next(8)); break;
                case 1: b.RemoveRange(at, b.Count - at); break;
                case 2: b.Insert(at, 0xFF); break;
                case 3: b.InsertRange(at, new byte[] { 0xC3 }); break;
                default: b.InsertRange(at, Encoding.UTF8.GetBytes(new[] { "{", "]", "\"", "\\u0000", ",", "-0", "1e999", "\n" }[_rng.Next(8)])); break;
            }
        }
        return b.ToArray();
    }
}
