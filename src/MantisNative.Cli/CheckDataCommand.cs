using System.Diagnostics;
using MantisNative.Data.Records;

namespace MantisNative.Cli;

/// <summary>`mantis check-data PATH [--strict] [--image-root DIR] [--image-check none|exists|header|decode] [--allow-open]`:
/// reads records as training would and prints what would be kept and skipped, with reasons.</summary>
public static class CheckDataCommand
{
    private const int DefaultExamples = 5;

    /// <summary>Paths are positional or --data (README "Command-line flags"), both repeatable.</summary>
    public static readonly CommandFlags Flags = new("check-data", "validate Mantis-Instruct records (JSON, JSONL, Parquet; file, folder or glob) and report bad ones",
        new[]
        {
            CliOption.Value("data", "PATH", "records: a file, folder or glob (repeatable; paths may also be given without --data)"),
            CliOption.Value("image-root", "DIR", "folder image paths are resolved under", "each records file's folder"),
            CliOption.Value("image-check", "none|exists|header|decode", "how far each image is checked", "decode"),
            CliOption.Value("examples", "N", "bad records shown per problem kind", CliOption.Show(DefaultExamples)),
            CliOption.Switch("strict", "stop at the first bad record (exit 1) instead of skipping it"),
            CliOption.Switch("allow-open", "keep records whose last turn is not the assistant's"),
            CliOption.Switch("allow-external-image-paths", "allow absolute image paths and ones leading out of the data folder / --image-root"),
        })
    {
        Positional = "[PATH...]",
        Notes = new[] { "Reads the records as training would; exit 0 when all are kept, 3 when some would be skipped, 2 without a path." },
        Examples = new[] { "check-data data/synthetic/train.jsonl", "check-data --data 'mantis-instruct/*/train-*.parquet' --image-check exists" },
    };

    public static int Run(string[] argv)
    {
        var a = Flags.Parse(argv);
        var paths = a.GetAll("data").Concat(a.Positional).ToList();
        if (paths.Count == 0)
        {
            Console.WriteLine("usage: mantis " + CommandHelp.DerivedUsage(Flags));
            Console.WriteLine("see mantis check-data --help");
            return 2;
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
        var report = new RecordReport(a.GetInt("examples", DefaultExamples));
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
