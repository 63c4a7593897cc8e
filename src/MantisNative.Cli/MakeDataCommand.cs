using System.Globalization;
using MantisNative.Data.Synthetic;

namespace MantisNative.Cli;

/// <summary>`mantis make-data --output DIR [--train-examples N] [--heldout-examples N] [--seed S] [--image-size 32] [--force]`: the synthetic skills set.</summary>
public static class MakeDataCommand
{
    public const string Help = "write the synthetic multi-image skills set (PNG + Mantis-Instruct JSONL)";

    /// <summary>--out is the older spelling of --output (README "Command-line flags").</summary>
    public static readonly CommandFlags Flags = new(new[] { "output", "train-examples", "heldout-examples", "seed", "image-size" }, new[] { "force", "help" },
        new Dictionary<string, string> { ["out"] = "output" });

    public static int Run(string[] argv)
    {
        var a = Flags.Parse("make-data", argv);
        if (a.Flag("help"))
        {
            Console.WriteLine("usage: mantis make-data --output DIR [--train-examples N] [--heldout-examples N] [--seed S] [--image-size 32] [--force]");
            return 0;
        }
        if (a.Positional.Count > 0) throw new MantisException($"mantis make-data: unexpected argument '{a.Positional[0]}'");
        var defaults = new SyntheticOptions();
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
