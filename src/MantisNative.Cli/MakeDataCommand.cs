using System.Globalization;
using MantisNative.Data.Synthetic;

namespace MantisNative.Cli;

/// <summary>`mantis make-data --output DIR [--train-examples N] [--heldout-examples N] [--seed S] [--image-size 32] [--force]`: the synthetic skills set.</summary>
public static class MakeDataCommand
{
    private static readonly SyntheticOptions Defaults = new();

    /// <summary>--out is the older spelling of --output (README "Command-line flags"). Defaults are SyntheticOptions' own.</summary>
    public static readonly CommandFlags Flags = new("make-data", "write the synthetic multi-image skills set (PNG + Mantis-Instruct JSONL)",
        new[]
        {
            CliOption.Needed("output", "DIR", "folder for train.jsonl, heldout.jsonl and the images"),
            CliOption.Value("train-examples", "N", "training examples", CliOption.Show(Defaults.Train)),
            CliOption.Value("heldout-examples", "N", "held-out examples (evaluation)", CliOption.Show(Defaults.HeldOut)),
            CliOption.Value("seed", "S", "random seed (same seed, same data set)", CliOption.Show(Defaults.Seed)),
            CliOption.Value("image-size", "PX", "side of the square images", CliOption.Show(Defaults.ImageSize)),
            CliOption.Switch("force", "write into a folder that is not empty"),
        },
        new Dictionary<string, string> { ["out"] = "output" })
    {
        Examples = new[] { "make-data --output data/synthetic", "make-data --output data/small --train-examples 2000 --heldout-examples 300 --seed 7" },
    };

    public static int Run(string[] argv)
    {
        var a = Flags.Parse(argv);
        if (a.Positional.Count > 0) throw new MantisException($"mantis make-data: unexpected argument '{a.Positional[0]}'");
        var defaults = Defaults;
        var seedText = a.Get("seed");
        ulong seed = defaults.Seed;
        if (seedText is not null && !ulong.TryParse(seedText, NumberStyles.Integer, CultureInfo.InvariantCulture, out seed))
            throw new MantisException($"mantis make-data: --seed expects a non-negative integer, got '{seedText}'");
        var options = new SyntheticOptions
        {
            Train = a.GetInt("train-examples", defaults.Train),
            HeldOut = a.GetInt("heldout-examples", defaults.HeldOut),
            Seed = seed,
            ImageSize = a.GetInt("image-size", defaults.ImageSize),
            Force = a.Flag("force"),
        };
        var outDir = a.Require("output");
        var s = SyntheticDatasetWriter.Write(outDir, options, msg => Console.WriteLine(msg));
        Console.WriteLine($"wrote {s.Train.Examples} train + {s.HeldOut.Examples} held-out examples ({s.Train.Images + s.HeldOut.Images} images, {SkillFamilies.All.Count} families) to {s.OutputDir} in {s.Seconds:F1} s");
        return 0;
    }
}
