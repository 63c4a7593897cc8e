using MantisNative.IO.Peft;

namespace MantisNative.Cli;

/// <summary>`mantis merge --model DIR --adapter DIR --output DIR [--force]`: a PEFT LoRA/DoRA adapter merged into a plain HF folder.</summary>
public static class MergeCommand
{
    public static readonly CommandFlags Flags = new("merge", "merge a PEFT LoRA/DoRA adapter into a model folder",
        new[]
        {
            CliOption.Needed("model", "DIR", "the base model folder the adapter was trained on"),
            CliOption.Needed("adapter", "DIR", "PEFT's adapter_config.json + adapter_model.safetensors (train --lora writes OUTPUT_DIR/adapter)"),
            CliOption.Needed("output", "DIR", "a plain Hugging Face folder, in the base weights' dtype"),
            CliOption.Switch("force", "write into a folder that is not empty"),
        })
    {
        Notes = new[] { "Each adapted Linear becomes W + alpha/r * B A (DoRA: magnitude * direction)." },
        Examples = new[] { "merge --model base/ --adapter runs/lora/adapter --output runs/lora/merged" },
    };

    public static int Run(string[] argv)
    {
        var a = Flags.Parse(argv);
        if (a.Positional.Count > 0) throw new MantisException($"mantis merge: unexpected argument '{a.Positional[0]}'");
        var s = AdapterMerge.MergeFolder(a.Require("model"), a.Require("adapter"), a.Require("output"), a.Flag("force"));
        Console.WriteLine($"merged {s.MergedModules} adapted weights ({s.Tensors} tensors, {s.Shards} shard(s)) into {s.Output} in {s.Seconds:F1} s");
        return 0;
    }
}
