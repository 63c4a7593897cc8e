using MantisNative.IO.Quantization;

namespace MantisNative.Cli;

/// <summary>`mantis quantize --model DIR --output DIR --weights int8|nf4 [--block-size N] [--force]` (docs/quantization.md).</summary>
public static class QuantizeCommand
{
    public const string Help = "write a weight-quantized copy of a model folder: --model DIR --output DIR --weights int8|nf4";

    public static readonly CommandFlags Flags = new(new[] { "model", "output", "weights", "block-size" }, new[] { "force", "help" });

    public static int Run(string[] argv)
    {
        var a = Flags.Parse("quantize", argv);
        if (a.Flag("help"))
        {
            Console.WriteLine("usage: mantis quantize --model DIR --output DIR --weights int8|nf4 [--block-size N] [--force]");
            Console.WriteLine("  int8: one scale per output channel (or per --block-size elements); nf4: QLoRA's 4-bit NormalFloat, 64 per block.");
            Console.WriteLine("  Quantizes the Linear weights of the language model and projector; the folder loads like any model (docs/quantization.md).");
            return 0;
        }
        if (a.Positional.Count > 0) throw new MantisException($"mantis quantize: unexpected argument '{a.Positional[0]}'");
        var method = QuantizationConfig.ParseMethod(a.Require("weights"), "mantis quantize --weights");
        int? block = a.Has("block-size") ? a.GetInt("block-size", 0) : null;
        var s = ModelQuantizer.QuantizeFolder(a.Require("model"), a.Require("output"), method, block, a.Flag("force"));
        Console.WriteLine($"quantized {s.Quantized} weights to {QuantizationConfig.MethodName(method)}, kept {s.Kept} tensors: "
            + $"{s.BytesBefore / 1e6:F1} MB -> {s.BytesAfter / 1e6:F1} MB in {s.Seconds:F1} s, written to {s.Output}");
        return 0;
    }
}
