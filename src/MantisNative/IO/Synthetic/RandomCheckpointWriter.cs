using System.Diagnostics;
using System.Runtime.InteropServices;
using MantisNative.Data.Images;
using MantisNative.Data.Tokenization;
using MantisNative.Models.Config;
using MantisNative.Nn;
using MantisNative.Tensors;

namespace MantisNative.IO.Synthetic;

/// <summary>What <see cref="RandomCheckpointWriter.Write"/> wrote.</summary>
public sealed record RandomCheckpointSummary(string Folder, long Parameters, long WeightBytes, int Shards, double Seconds);

/// <summary>
/// Writes a random-weight model folder with the exact tensor names, shapes and dtype a config implies
/// (<see cref="CheckpointLayout"/>), sharded like Hugging Face (<c>model-0000i-of-0000N.safetensors</c> + index),
/// with config.json, tokenizer.json / tokenizer_config.json and preprocessor_config.json so <c>mantis chat</c> opens
/// it. Values are produced tensor by tensor, in chunks, while the shard is written: memory stays at a few MB
/// whatever the model size. Values: uniform with std 1/sqrt(fan_in) for matrices, 1 for embeddings,
/// 1/sqrt(width) for learned positions, 0.02 for other vectors, norm weights 1, biases 0 (as
/// <see cref="RandomWeights"/>); each tensor's values depend only on the seed and its name.
/// </summary>
public static class RandomCheckpointWriter
{
    private const int Chunk = 1 << 20;

    public static RandomCheckpointSummary Write(string folder, LlavaConfig config, RandomCheckpointOptions? options = null)
    {
        options ??= new RandomCheckpointOptions();
        if (options.DType is not (DType.BF16 or DType.F16 or DType.F32))
            throw new MantisException($"random checkpoint: dtype {options.DType.SafetensorsName()} is not a float dtype (BF16, F16 or F32)");
        if (options.Shards < 1) throw new MantisException($"random checkpoint: shards must be at least 1, got {options.Shards}");
        var sw = Stopwatch.StartNew();
        var tokenizer = options.TokenizerPath is null ? ByteTokenizerForConfig.Create(config) : LoadTokenizer(options.TokenizerPath, config);

        try { Directory.CreateDirectory(folder); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new MantisException($"{folder}: cannot create the output folder: {e.Message}");
        }
        var layout = CheckpointLayout.For(config);
        var writer = new SafetensorsWriter();
        writer.Metadata["format"] = "pt";
        foreach (var t in layout)
            writer.Add(t.Name, options.DType, t.Shape, s => WriteValues(s, t, options));
        long bytes = layout.Sum(t => t.ElementCount) * options.DType.SizeOf();
        long maxShard = ShardPlan.MaxShardBytesFor(layout.OrderBy(t => t.Name, StringComparer.Ordinal)
            .Select(t => t.ElementCount * options.DType.SizeOf()), options.Shards);
        var written = writer.SaveSharded(folder, maxShard);

        (config with { TorchDtype = TorchDtypeName(options.DType) }).Save(Path.Combine(folder, LlavaConfig.FileName));
        tokenizer.SaveToDirectory(folder);
        ImageProcessor.ForVisionConfig(config.Vision.HfModelType, config.Vision.ImageSize).Config
            .Save(Path.Combine(folder, "preprocessor_config.json"));
        int shards = written.Count(p => p.EndsWith(".safetensors", StringComparison.Ordinal));
        return new RandomCheckpointSummary(Path.GetFullPath(folder), layout.Sum(t => t.ElementCount), bytes, shards, sw.Elapsed.TotalSeconds);
    }

    private static ByteLevelBpeTokenizer LoadTokenizer(string path, LlavaConfig config)
    {
        var tok = ByteLevelBpeTokenizer.Load(path);
        tok.AddSpecialToken("<image>", config.ImageTokenIndex);
        if ((config.PadTokenId ?? config.Text.PadTokenId) is int pad) tok.AddSpecialToken("<|pad|>", pad);
        if (tok.VocabSize > config.Text.VocabSize)
            throw new MantisException($"{path}: {tok.VocabSize} token ids do not fit the config's vocab_size {config.Text.VocabSize}");
        return tok;
    }

    private static string TorchDtypeName(DType t) => t switch
    {
        DType.BF16 => "bfloat16", DType.F16 => "float16", _ => "float32",
    };

    /// <summary>Streams the tensor's values in chunks of <see cref="Chunk"/> elements.</summary>
    private static void WriteValues(Stream s, LayoutTensor t, RandomCheckpointOptions options)
    {
        float std = StdOf(t);
        bool constant = t.Role is WeightRole.NormWeight or WeightRole.Bias or WeightRole.NormBias;
        float constValue = t.Role == WeightRole.NormWeight ? 1f : 0f;
        var values = new float[(int)Math.Min(Chunk, Math.Max(1, t.ElementCount))];
        var halfs = options.DType == DType.F32 ? null : new ushort[values.Length];
        ulong nameSeed = options.Seed ^ StableHash(t.Name);
        for (long done = 0, chunk = 0; done < t.ElementCount; done += values.Length, chunk++)
        {
            int n = (int)Math.Min(values.Length, t.ElementCount - done);
            var v = values.AsSpan(0, n);
            if (constant) v.Fill(constValue);
            else FillUniform(v, std, nameSeed + (ulong)chunk * 0x9E3779B97F4A7C15UL);
            if (halfs is null) { s.Write(MemoryMarshal.AsBytes(v)); continue; }
            var h = halfs.AsSpan(0, n);
            if (options.DType == DType.BF16) FloatConversion.ToBFloat16(v, h); else FloatConversion.ToFloat16(v, h);
            s.Write(MemoryMarshal.AsBytes(h));
        }
    }

    private static float StdOf(LayoutTensor t) => t.Role switch
    {
        WeightRole.Embedding => 1f,
        WeightRole.PositionEmbedding => (float)(1 / Math.Sqrt(t.Shape[^1])),
        WeightRole.Vector => 0.02f,
        _ => (float)(1 / Math.Sqrt(Math.Max(1, t.ElementCount / Math.Max(1, t.Shape[0])))),
    };

    /// <summary>Uniform on [-a, a] with a = std * sqrt(3) (variance std²), from xorshift64*: fast enough for 8 B values.</summary>
    private static void FillUniform(Span<float> dst, float std, ulong seed)
    {
        ulong x = Rng.SplitMix(ref seed) | 1;
        float a = std * MathF.Sqrt(3f);
        const float inv = 1f / (1 << 24);
        for (int i = 0; i < dst.Length; i++)
        {
            x ^= x >> 12; x ^= x << 25; x ^= x >> 27;
            ulong r = x * 2685821657736338717UL;
            dst[i] = ((r >> 40) * inv * 2f - 1f) * a;
        }
    }

    /// <summary>FNV-1a over the UTF-16 name (stable across runs, unlike string.GetHashCode).</summary>
    private static ulong StableHash(string s)
    {
        ulong h = 14695981039346656037UL;
        foreach (char c in s) { h ^= c; h *= 1099511628211UL; }
        return h;
    }
}
