using MantisNative.IO.Peft;

namespace MantisNative.Cli;

/// <summary>`mantis merge --model DIR --adapter DIR --output DIR [--force]`: a PEFT LoRA/DoRA adapter merged into a plain HF folder.</summary>
public static class MergeCommand
{
    public const string Help = "merge a PEFT LoRA/DoRA adapter into a model: --model DIR --adapter DIR --output DIR";

    public static readonly CommandFlags Flags = new(new[] { "model", "adapter", "output" }, new[] { "force", "help" });

    public static int Run(string[] argv)
    {
        var a = Flags.Parse("merge", argv);
        if (a.Flag("help"))
        {
            Console.WriteLine("usage: mantis merge --model DIR --adapter DIR --output DIR [--force]");
            Console.WriteLine("  DIR of --adapter: PEFT's adapter_config.json + adapter_model.safetensors. The output is a plain Hugging Face");
            Console.WriteLine("  folder (W + alpha/r * B A per adapted Linear; DoRA: magnitude * direction), in the base weights' dtype.");
            return 0;
        }
        if (a.Positional.Count > 0) throw new MantisException($"mantis merge: unexpected argument '{a.Positional[0]}'");
        var s = AdapterMerge.MergeFolder(a.Require("model"), a.Require("adapter"), a.Require("output"), a.Flag("force"));
        Console.WriteLine($"merged {s.MergedModules} adapted weights ({s.Tensors} tensors, {s.Shards} shard(s)) into {s.Output} in {s.Seconds:F1} s");
        return 0;
    }
}
