using MantisNative.IO.Quantization;

namespace MantisNative.Cli;

/// <summary>`mantis quantize --model DIR --output DIR --weights int8|nf4 [--block-size N] [--force]` (docs/quantization.md).</summary>
public static class QuantizeCommand
{
    public static readonly CommandFlags Flags = new("quantize", "write a weight-quantized (int8 or nf4) copy of a model folder",
        new[]
        {
            CliOption.Needed("model", "DIR", "the model folder to quantize"),
            CliOption.Needed("output", "DIR", "the quantized folder to write"),
            CliOption.Needed("weights", "int8|nf4", "int8: one scale per output channel (or per --block-size elements); nf4: QLoRA's 4-bit NormalFloat"),
            CliOption.Value("block-size", "N", "elements per scale, a multiple of 16", $"int8 one per row; nf4 {ModelQuantizer.DefaultNf4Block}"),
            CliOption.Switch("force", "write into a folder that is not empty"),
        })
    {
        Notes = new[] { "Quantizes the Linear weights of the language model and projector; the folder loads like any model (docs/quantization.md)." },
        Examples = new[] { "quantize --model runs/mantis-tiny/model --output runs/mantis-tiny/model-nf4 --weights nf4" },
    };

    public static int Run(string[] argv)
    {
        var a = Flags.Parse(argv);
        if (a.Positional.Count > 0) throw new MantisException($"mantis quantize: unexpected argument '{a.Positional[0]}'");
        var method = QuantizationConfig.ParseMethod(a.Require("weights"), "mantis quantize --weights");
        int? block = a.Has("block-size") ? a.GetInt("block-size", 0) : null;
        var s = ModelQuantizer.QuantizeFolder(a.Require("model"), a.Require("output"), method, block, a.Flag("force"));
        Console.WriteLine($"quantized {s.Quantized} weights to {QuantizationConfig.MethodName(method)}, kept {s.Kept} tensors: "
            + $"{s.BytesBefore / 1e6:F1} MB -> {s.BytesAfter / 1e6:F1} MB in {s.Seconds:F1} s, written to {s.Output}");
        return 0;
    }
}
