using System.Globalization;
using MantisNative.IO;
using MantisNative.IO.Synthetic;
using MantisNative.Models.Config;
using MantisNative.Tensors;

namespace MantisNative.Cli;

/// <summary>
/// `mantis make-checkpoint --output DIR [--layers N] [--vision-layers N] [--model-config FILE] [--dtype bf16|f16|f32]
/// [--shards N] [--seed S] [--tokenizer FILE] [--force]`: a random-weight model folder with the exact layout of
/// Mantis-8B-siglip-llama3 (or of the given config.json), so memory and speed claims can be re-measured by anyone.
/// </summary>
public static class MakeCheckpointCommand
{
    public const string Help = "write a random-weight checkpoint shaped like Mantis-8B-siglip-llama3: --output DIR [--layers N]";

    /// <summary>The shapes come from a model config.json, so --model-config (train's --config is a training config); --config is its older spelling.</summary>
    public static readonly CommandFlags Flags = new(new[] { "output", "layers", "vision-layers", "model-config", "dtype", "shards", "seed", "tokenizer" }, new[] { "force", "help" },
        new Dictionary<string, string> { ["config"] = "model-config" });

    public static int Run(string[] argv)
    {
        var a = Flags.Parse("make-checkpoint", argv);
        if (a.Flag("help"))
        {
            Console.WriteLine("usage: mantis make-checkpoint --output DIR [--layers 32] [--vision-layers 27] [--model-config config.json]");
            Console.WriteLine("                              [--dtype bf16|f16|f32] [--shards 4] [--seed 0] [--tokenizer tokenizer.json] [--force]");
            Console.WriteLine("  Default shapes: Mantis-8B-siglip-llama3 (8.48 B parameters, 17 GB in bf16). --model-config takes the shapes of another");
            Console.WriteLine("  config.json; --layers / --vision-layers then override its layer counts. Without --tokenizer a byte-level");
            Console.WriteLine("  tokenizer with the Llama-3 special tokens at their ids is written.");
            return 0;
        }
        if (a.Positional.Count > 0) throw new MantisException($"mantis make-checkpoint: unexpected argument '{a.Positional[0]}'");
        var output = a.Require("output");
        var config = a.Get("model-config") is string cfgPath ? LlavaConfigFile.Load(cfgPath) : Mantis8BConfig.Create();
        int layers = a.GetInt("layers", config.Text.NumHiddenLayers);
        int visionLayers = a.GetInt("vision-layers", config.Vision.NumHiddenLayers);
        if (layers < 0) throw new MantisException($"mantis make-checkpoint: --layers must be >= 0, got {layers}");
        if (visionLayers < 1) throw new MantisException($"mantis make-checkpoint: --vision-layers must be >= 1, got {visionLayers}");
        config = config with
        {
            Text = config.Text with { NumHiddenLayers = layers },
            Vision = config.Vision with { NumHiddenLayers = visionLayers },
        };
        var dtype = a.Get("dtype") switch
        {
            null or "bf16" or "bfloat16" => DType.BF16,
            "f16" or "float16" => DType.F16,
            "f32" or "float32" => DType.F32,
            var d => throw new MantisException($"mantis make-checkpoint: --dtype must be bf16, f16 or f32, got '{d}'"),
        };
        var seedText = a.Get("seed");
        ulong seed = 0;
        if (seedText is not null && !ulong.TryParse(seedText, NumberStyles.Integer, CultureInfo.InvariantCulture, out seed))
            throw new MantisException($"mantis make-checkpoint: --seed expects a non-negative integer, got '{seedText}'");
        if (Directory.Exists(output) && Directory.EnumerateFileSystemEntries(output).Any() && !a.Flag("force"))
            throw new MantisException($"mantis make-checkpoint: {output} is not empty (use --force to write into it)");
        if (File.Exists(output)) throw new MantisException($"mantis make-checkpoint: {output} is a file, not a folder");

        long parameters = CheckpointLayout.ParameterCount(config);
        Console.WriteLine($"writing {parameters / 1e9:F3} B parameters ({parameters * dtype.SizeOf() / 1e9:F2} GB of {dtype.SafetensorsName()}) to {output} ...");
        var s = RandomCheckpointWriter.Write(output, config, new RandomCheckpointOptions
        {
            Seed = seed, DType = dtype, Shards = a.GetInt("shards", 4), TokenizerPath = a.Get("tokenizer"),
        });
        Console.WriteLine($"wrote {s.Parameters:N0} parameters, {s.WeightBytes / 1e9:F2} GB in {s.Shards} shard(s) to {s.Folder} in {s.Seconds:F1} s");
        return 0;
    }
}
