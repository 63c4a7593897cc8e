using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using MantisNative.Data.Images;
using MantisNative.Data.Records;
using MantisNative.Data.Tokenization;
using MantisNative.IO;
using MantisNative.Models;
using MantisNative.Models.Config;
using MantisNative.Tests.IO;

namespace MantisNative.Tests.Fuzz;

/// <summary>
/// One fuzz case: <see cref="Run"/> parses a malformed input and returns null when it was accepted with nothing
/// lost, or what was silently dropped; a clear refusal is a <see cref="MantisException"/>.
/// </summary>
internal sealed record FuzzCase(string Target, int Index, Func<string?> Run);

/// <summary>
/// The corpus generator: seeded, so case (target, index) is the same on every run and a failure is reproduced by
/// its name. Seeds are the tiny fixture model's files, a small tokenizer, a few records and the PIL fixture images.
/// </summary>
internal sealed class FuzzCorpus : IDisposable
{
    private readonly int _seed;
    private readonly string _dir;
    private readonly byte[] _header;
    private readonly long _dataLength;
    private readonly byte[][] _configs;
    private readonly byte[] _index;
    private readonly string _shardDir;
    private readonly byte[] _tokenizer;
    private readonly string[] _records;
    private readonly byte[][] _images;

    public FuzzCorpus(int seed)
    {
        _seed = seed;
        _dir = TestFiles.Scratch();
        var weights = File.ReadAllBytes(TestFiles.Fixture("tiny-siglip-llama", "model.safetensors"));
        long n = (long)BinaryPrimitives.ReadUInt64LittleEndian(weights);
        _header = weights[8..(int)(8 + n)];
        _dataLength = weights.Length - 8 - n;
        _configs = new[] { "tiny-siglip-llama", "tiny-clip-llama" }.Select(m => File.ReadAllBytes(TestFiles.Fixture(m, "config.json"))).ToArray();

        // a sharded copy of the fixture: the index is fuzzed against real shards
        _shardDir = Path.Combine(_dir, "sharded");
        var w = new SafetensorsWriter();
        using (var src = SafetensorsFile.Open(TestFiles.Fixture("tiny-siglip-llama", "model.safetensors")))
        {
            foreach (var name in src.Names) w.AddFrom(src, name);
            w.SaveSharded(_shardDir, 40_000); // AddFrom reads while saving
        }
        _index = File.ReadAllBytes(Path.Combine(_shardDir, "model.safetensors.index.json"));

        var tok = BpeTrainer.Train(new[] { "hello world", "the cat sat on the mat", "(image 1: <Image></Image>)" }, 30);
        var tokPath = Path.Combine(_dir, "seed-tokenizer.json");
        tok.Save(tokPath);
        _tokenizer = File.ReadAllBytes(tokPath);

        File.Copy(TestFiles.Fixture("tiny-siglip-llama", "image0.png"), Path.Combine(_dir, "a.png"));
        _records = Enumerable.Range(0, 4).Select(i =>
            $"{{\"id\":\"r{i}\",\"images\":[\"a.png\"],\"conversation\":[{{\"role\":\"user\",\"content\":\"<image> what is {i}?\"}},{{\"role\":\"assistant\",\"content\":\"answer {i}\"}}]}}").ToArray();

        var pil = Path.GetDirectoryName(TestFiles.Fixture("pil-images", "README.md"))!;
        _images = Directory.GetFiles(pil).Where(f => f.EndsWith(".png") || f.EndsWith(".jpg") || f.EndsWith(".gif") || f.EndsWith(".webp") || f.EndsWith(".bmp"))
            .OrderBy(f => f, StringComparer.Ordinal).Select(File.ReadAllBytes)
            .Append(File.ReadAllBytes(TestFiles.Fixture("tiny-siglip-llama", "image0.png"))).ToArray();
    }

    // not HashCode.Combine: it is randomized per process, and a case must be the same on every run
    private Random Rng(string target, int index) =>
        new((int)(((long)_seed * 1_000_003 + target.Sum(c => c) * 100_003L + index) & 0x7FFFFFFF));

    public IEnumerable<FuzzCase> Cases(int perTargetScale)
    {
        for (int i = 0; i < 3 * perTargetScale; i++) yield return SafetensorsCase(i);
        for (int i = 0; i < perTargetScale; i++) yield return IndexCase(i);
        for (int i = 0; i < 3 * perTargetScale; i++) yield return ConfigCase(i);
        for (int i = 0; i < perTargetScale; i++) yield return TokenizerCase(i);
        for (int i = 0; i < perTargetScale; i++) yield return RecordsCase(i);
        for (int i = 0; i < 2 * perTargetScale; i++) yield return ImageCase(i);
    }

    /// <summary>Either a structural JSON edit or byte damage of <paramref name="seed"/>; the edit when one was made.</summary>
    private static (byte[] Bytes, JsonEdit? Edit) Mutated(Random rng, byte[] seed)
    {
        var m = new JsonMutator(rng);
        if (rng.Next(4) == 0) return (m.Damage(seed), null);
        var root = JsonNode.Parse(seed)!;
        JsonEdit? edit = null;
        int edits = 1 + rng.Next(2);
        for (int e = 0; e < edits; e++) edit = m.Mutate(root);
        return (Encoding.UTF8.GetBytes(root.ToJsonString()), edits == 1 ? edit : null);
    }

    /// <summary>Property counts of every object, duplicates included (a parser that keeps one of two names drops one).</summary>
    private static int CountProperties(byte[] json, Func<JsonElement, JsonElement?> select)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            return select(doc.RootElement) is { ValueKind: JsonValueKind.Object } o ? o.EnumerateObject().Count() : -1;
        }
        catch (JsonException) { return -1; }
    }

    private FuzzCase SafetensorsCase(int i) => new("safetensors", i, () =>
    {
        var rng = Rng("safetensors", i);
        var (json, _) = Mutated(rng, _header);
        if (rng.Next(4) == 0)
        {
            // the whole file, with a random length prefix now and then
            var path = Path.Combine(_dir, $"st-{i}.safetensors");
            var bytes = TestFiles.Craft(json, new byte[Math.Max(0, _dataLength + rng.Next(-64, 64))],
                rng.Next(3) == 0 ? (ulong)rng.NextInt64() : null);
            File.WriteAllBytes(path, bytes);
            using var f = SafetensorsFile.Open(path);
            foreach (var name in f.Names.Take(3)) f.ReadFloat32(name);
            return Dropped(json, f.Header.Tensors.Count);
        }
        var h = SafetensorsHeader.Parse(json, _dataLength, "fuzz.safetensors");
        return Dropped(json, h.Tensors.Count);
    });

    private static string? Dropped(byte[] json, int tensors)
    {
        int props = CountProperties(json, r => r);
        if (props < 0) return null;
        using var doc = JsonDocument.Parse(json);
        int expected = props - (doc.RootElement.TryGetProperty("__metadata__", out _) ? 1 : 0);
        return expected == tensors ? null : $"header lists {expected} tensors, parser kept {tensors}";
    }

    private FuzzCase IndexCase(int i) => new("index", i, () =>
    {
        var rng = Rng("index", i);
        var (json, _) = Mutated(rng, _index);
        string listed = CountProperties(json, r => r.ValueKind == JsonValueKind.Object && r.TryGetProperty("weight_map", out var w) ? w : null) is var c && c >= 0 ? c.ToString() : "?";
        if (rng.Next(2) == 0)
        {
            var idx = ShardIndex.Parse(json, "fuzz.index.json");
            return listed == "?" || idx.WeightMap.Count.ToString() == listed ? null : $"weight_map lists {listed}, parser kept {idx.WeightMap.Count}";
        }
        var dir = Path.Combine(_dir, $"idx-{i}");
        Directory.CreateDirectory(dir);
        foreach (var f in Directory.GetFiles(_shardDir, "*.safetensors")) File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
        var path = Path.Combine(dir, "model.safetensors.index.json");
        File.WriteAllBytes(path, json);
        try
        {
            using var cp = ShardedCheckpoint.Open(path);
            return listed == "?" || cp.Names.Count.ToString() == listed ? null : $"weight_map lists {listed}, checkpoint has {cp.Names.Count}";
        }
        finally { Directory.Delete(dir, true); }
    });

    private FuzzCase ConfigCase(int i) => new("config", i, () =>
    {
        var rng = Rng("config", i);
        var (json, edit) = Mutated(rng, _configs[i % _configs.Length]);
        var cfg = LlavaConfig.Parse(json, "fuzz/config.json");
        ModelMemoryPlan.For(cfg).EnsureFits(1L << 40, "fuzz/config.json");
        _ = cfg.ImageTokensPerImage + cfg.VisionFeatureLayerIndex;
        // a numeric value the parser accepted must be the value the model uses (not a default in its place)
        if (edit is { SetValue: true, Value: JsonValue v } && v.TryGetValue(out double want))
        {
            JsonNode? got = JsonNode.Parse(cfg.ToJson());
            foreach (var p in edit.Path) got = got is JsonObject o && o.ContainsKey(p) ? o[p] : null;
            if (got is JsonValue gv && gv.TryGetValue(out double have) && have != want)
                return $"{string.Join(".", edit.Path)} = {want} was read as {have}";
        }
        return null;
    });

    private FuzzCase TokenizerCase(int i) => new("tokenizer", i, () =>
    {
        var rng = Rng("tokenizer", i);
        var (json, _) = Mutated(rng, _tokenizer);
        var path = Path.Combine(_dir, $"tok-{i}.json");
        File.WriteAllBytes(path, json);
        try
        {
            var tok = ByteLevelBpeTokenizer.Load(path);
            var ids = tok.Encode("hello world, the cat (image 1: <Image></Image>)", parseSpecial: true, addBos: false);
            _ = tok.Decode(ids);
            using var doc = JsonDocument.Parse(json);
            var added = doc.RootElement.TryGetProperty("added_tokens", out var at) && at.ValueKind == JsonValueKind.Array
                ? at.EnumerateArray().Where(t => t.ValueKind == JsonValueKind.Object && t.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String).Select(t => t.GetProperty("content").GetString()!).ToHashSet()
                : new HashSet<string>();
            foreach (var p in doc.RootElement.GetProperty("model").GetProperty("vocab").EnumerateObject())
                if (!added.Contains(p.Name) && p.Value.TryGetInt32(out int id) && tok.TokenToId(p.Name) != id)
                    return $"vocab entry '{p.Name}' = {id} reads as {tok.TokenToId(p.Name)?.ToString() ?? "missing"}";
            return null;
        }
        finally { File.Delete(path); }
    });

    private FuzzCase RecordsCase(int i) => new("records", i, () =>
    {
        var rng = Rng("records", i);
        var lines = _records.Select(l => Encoding.UTF8.GetBytes(l)).ToArray();
        int victim = rng.Next(lines.Length);
        lines[victim] = Mutated(rng, lines[victim]).Bytes;
        var bytes = lines.SelectMany(l => l.Append((byte)'\n')).ToArray();
        var path = Path.Combine(_dir, $"rec-{i}.jsonl");
        File.WriteAllBytes(path, bytes);
        try
        {
            var kept = RecordReader.ReadAll(path, out var report, new RecordReaderOptions { ImageCheck = ImageCheckMode.Header });
            // every non-blank line is either a record or a counted skip: none vanishes
            int nonBlank = 0;
            foreach (var l in Encoding.UTF8.GetString(bytes).Split('\n')) if (!string.IsNullOrWhiteSpace(l)) nonBlank++;
            if (kept.Count != report.Accepted) return $"{kept.Count} records returned, {report.Accepted} reported";
            // invalid UTF-8 must not turn into U+FFFD inside a kept record's text
            bool hadReplacement = bytes.AsSpan().IndexOf("\uFFFD"u8) >= 0; // the file itself spelled U+FFFD
            if (!hadReplacement && kept.Any(r => r.Id.Contains('\uFFFD') || r.Turns.Any(t => t.Content.Contains('\uFFFD'))))
                return "invalid UTF-8 was kept as U+FFFD in a record";
            return report.Total == nonBlank ? null : $"{nonBlank} lines, {report.Total} accounted for";
        }
        finally { File.Delete(path); }
    });

    private FuzzCase ImageCase(int i) => new("image", i, () =>
    {
        var rng = Rng("image", i);
        var bytes = (byte[])_images[i % _images.Length].Clone();
        // headers first: most flips land in the first 64 bytes, where sizes, types and chunk lengths live
        int flips = 1 + rng.Next(4);
        for (int f = 0; f < flips; f++)
        {
            int at = rng.Next(4) == 0 ? rng.Next(bytes.Length) : rng.Next(Math.Min(64, bytes.Length));
            bytes[at] = rng.Next(3) == 0 ? (byte)0xFF : (byte)rng.Next(256);
        }
        if (rng.Next(5) == 0) bytes = bytes[..rng.Next(bytes.Length)];
        var img = ImageDecoder.Decode(bytes, $"fuzz-{i}");
        return img.Width > 0 && img.Height > 0 && img.Pixels.Length == img.Width * img.Height * 3 ? null : $"decoded to {img.Width}x{img.Height} with {img.Pixels.Length} bytes";
    });

    public void Dispose() => TestFiles.Cleanup(_dir);
}
