using System.Diagnostics;
using MantisNative.Data.Records;

namespace MantisNative.Cli;

/// <summary>`mantis check-data PATH [--strict] [--image-root DIR] [--image-check none|exists|header|decode] [--allow-open]`:
/// reads records as training would and prints what would be kept and skipped, with reasons.</summary>
public static class CheckDataCommand
{
    public const string Help = "validate Mantis-Instruct records (JSON, JSONL, Parquet; file, folder or glob) and report bad ones";

    /// <summary>Paths are positional or --data (README "Command-line flags"), both repeatable.</summary>
    public static readonly CommandFlags Flags = new(new[] { "data", "image-root", "image-check", "examples" }, new[] { "strict", "allow-open", "allow-external-image-paths", "help" });

    public static int Run(string[] argv)
    {
        var a = Flags.Parse("check-data", argv);
        var paths = a.GetAll("data").Concat(a.Positional).ToList();
        if (a.Flag("help") || paths.Count == 0)
        {
            Console.WriteLine("usage: mantis check-data PATH... | --data PATH... [--strict] [--image-root DIR] [--image-check none|exists|header|decode] [--allow-open] [--allow-external-image-paths] [--examples N]");
            return a.Flag("help") ? 0 : 2;
        }
        var check = a.Get("image-check") switch
        {
            null or "decode" => ImageCheckMode.Decode,
            "header" => ImageCheckMode.Header,
            "exists" => ImageCheckMode.Exists,
            "none" => ImageCheckMode.None,
            var s => throw new MantisException($"mantis check-data: --image-check must be none, exists, header or decode, got '{s}'"),
        };
        var root = a.Get("image-root");
        if (root is not null && !Directory.Exists(root)) throw new MantisException($"mantis check-data: --image-root '{root}' is not a folder");
        var options = new RecordReaderOptions
        {
            Strict = a.Flag("strict"),
            ImageRoot = root is null ? null : Path.GetFullPath(root),
            ImageCheck = check,
            RequireFinalAssistant = !a.Flag("allow-open"),
            AllowExternalImagePaths = a.Flag("allow-external-image-paths"),
        };
        var report = new RecordReport(a.GetInt("examples", 5));
        var sw = Stopwatch.StartNew();
        long images = 0;
        foreach (var path in paths)
            foreach (var r in RecordReader.Read(path, report, options))
                images += r.Images.Count;
        Console.Write(report.ToTable());
        Console.WriteLine($"images: {images} in kept records; {sw.Elapsed.TotalSeconds:F1} s");
        return report.Skipped == 0 ? 0 : 3;
    }
}
