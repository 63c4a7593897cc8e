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
    private static readonly RandomCheckpointOptions Defaults = new();

    /// <summary>The shapes come from a model config.json, so --model-config (train's --config is a training config); --config is its older spelling.</summary>
    public static readonly CommandFlags Flags = new("make-checkpoint", "write a random-weight checkpoint shaped like Mantis-8B-siglip-llama3",
        new[]
        {
            CliOption.Needed("output", "DIR", "the model folder to write (config.json, safetensors shards, tokenizer, preprocessor_config.json)"),
            CliOption.Value("layers", "N", "decoder layers", $"{Mantis8BConfig.DecoderLayers}, or --model-config's"),
            CliOption.Value("vision-layers", "N", "vision tower layers", $"{Mantis8BConfig.VisionLayers}, or --model-config's"),
            CliOption.Value("model-config", "FILE", "a Llava config.json to take the shapes from", "Mantis-8B-siglip-llama3's"),
            CliOption.Value("dtype", "bf16|f16|f32", "stored dtype of every tensor", Defaults.DType.SafetensorsName().ToLowerInvariant()),
            CliOption.Value("shards", "N", "safetensors shards (1: a single model.safetensors)", CliOption.Show(Defaults.Shards)),
            CliOption.Value("seed", "S", "seed of the random weights", CliOption.Show(Defaults.Seed)),
            CliOption.Value("tokenizer", "FILE", "a tokenizer.json to ship", "a byte-level one with the Llama-3 special tokens at their ids"),
            CliOption.Switch("force", "write into a folder that is not empty"),
        },
        new Dictionary<string, string> { ["config"] = "model-config" })
    {
        Notes = new[] { "Default shapes: Mantis-8B-siglip-llama3 (8.48 B parameters, 17 GB in bf16); written tensor by tensor, so memory stays small." },
        Examples = new[] { "make-checkpoint --output /tmp/mantis-8b-shaped", "make-checkpoint --output /tmp/mantis-4layer --layers 4 --shards 1" },
    };

    public static int Run(string[] argv)
    {
        var a = Flags.Parse(argv);
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
            null => Defaults.DType,
            "bf16" or "bfloat16" => DType.BF16,
            "f16" or "float16" => DType.F16,
            "f32" or "float32" => DType.F32,
            var d => throw new MantisException($"mantis make-checkpoint: --dtype must be bf16, f16 or f32, got '{d}'"),
        };
        var seedText = a.Get("seed");
        ulong seed = Defaults.Seed;
        if (seedText is not null && !ulong.TryParse(seedText, NumberStyles.Integer, CultureInfo.InvariantCulture, out seed))
            throw new MantisException($"mantis make-checkpoint: --seed expects a non-negative integer, got '{seedText}'");
        if (Directory.Exists(output) && Directory.EnumerateFileSystemEntries(output).Any() && !a.Flag("force"))
            throw new MantisException($"mantis make-checkpoint: {output} is not empty (use --force to write into it)");
        if (File.Exists(output)) throw new MantisException($"mantis make-checkpoint: {output} is a file, not a folder");

        long parameters = CheckpointLayout.ParameterCount(config);
        Console.WriteLine($"writing {parameters / 1e9:F3} B parameters ({parameters * dtype.SizeOf() / 1e9:F2} GB of {dtype.SafetensorsName()}) to {output} ...");
        var s = RandomCheckpointWriter.Write(output, config, new RandomCheckpointOptions
        {
            Seed = seed, DType = dtype, Shards = a.GetInt("shards", Defaults.Shards), TokenizerPath = a.Get("tokenizer"),
        });
        Console.WriteLine($"wrote {s.Parameters:N0} parameters, {s.WeightBytes / 1e9:F2} GB in {s.Shards} shard(s) to {s.Folder} in {s.Seconds:F1} s");
        return 0;
    }
}
