using System.Globalization;
using MantisNative.Evaluation.Benchmarks;
using MantisNative.Inference;

namespace MantisNative.Cli;

/// <summary>
/// `mantis eval --benchmark nlvr2|qbench2|mantis-eval|blink|mvbench --data DIR --model DIR [--output answers.jsonl]
/// [--chart chart.png] [--limit N] [--resume] [--batch-size 8] [--max-new-tokens 64] [--frames 8]`: one of the paper's
/// benchmarks from a local copy in its published layout, scored as the reference harness scores it.
/// </summary>
public static class BenchmarkEval
{
    private const int DefaultBatchSize = 8, DefaultFrames = 8;
    public const int DefaultMaxNewTokens = 64;

    /// <summary>The options only a benchmark run (or --write-samples) reads; eval's table lists them after its own.</summary>
    public static readonly CliOption[] Options =
    {
        CliOption.Value("benchmark", "NAME", $"score one of the paper's benchmarks from a local copy in its published layout ({string.Join(", ", BenchmarkCatalog.All.Select(b => b.Name))})"),
        CliOption.Value("batch-size", "N", "benchmark: items answered together", CliOption.Show(DefaultBatchSize)),
        CliOption.Value("chart", "FILE.png", "benchmark: where the accuracy chart goes", "--output with .png"),
        CliOption.Value("frames", "N", "benchmark mvbench: frames sampled per video", CliOption.Show(DefaultFrames)),
        CliOption.Value("write-samples", "DIR", "write a few made-up items of every benchmark in its published layout, and exit"),
        CliOption.Switch("resume", "benchmark: keep the answers already in --output and answer the rest"),
    };

    public static IEnumerable<string> Names => Options.Select(o => o.Name);

    /// <summary>`mantis eval --write-samples DIR`: a few made-up items of every benchmark in its published layout.</summary>
    public static int WriteSamples(string root)
    {
        foreach (var (name, dir) in BenchmarkSamples.WriteAll(root))
            Console.WriteLine($"{name}: {Path.GetFullPath(dir)}");
        return 0;
    }

    public static int Run(CliArgs a)
    {
        var benchmark = BenchmarkCatalog.Get(a.Require("benchmark"));
        if (a.Has("split")) throw new MantisException("mantis eval: --split does not apply to --benchmark (each benchmark has its one published split)");
        string modelDir = a.Require("model"), data = a.Require("data");
        int? limit = a.Has("limit") ? a.GetInt("limit", 0) : null;
        if (limit is < 1) throw new MantisException($"mantis eval: --limit must be at least 1, got {limit}");
        int batch = a.GetInt("batch-size", DefaultBatchSize);
        if (batch < 1) throw new MantisException($"mantis eval: --batch-size must be at least 1, got {batch}");
        int maxNew = a.GetInt("max-new-tokens", DefaultMaxNewTokens);
        if (maxNew < 1) throw new MantisException($"mantis eval: --max-new-tokens must be at least 1, got {maxNew}");
        int frames = a.GetInt("frames", DefaultFrames);
        if (frames < 1) throw new MantisException($"mantis eval: --frames must be at least 1, got {frames}");
        if (benchmark is MvBenchBenchmark) benchmark = new MvBenchBenchmark { Frames = frames };
        else if (a.Has("frames")) throw new MantisException("mantis eval: --frames applies to --benchmark mvbench only");
        var output = a.Get("output") ?? $"eval-{benchmark.Name}.jsonl";
        OutputPath.EnsureWritable(output);
        var chart = a.Get("chart") ?? Path.ChangeExtension(output, ".png");
        OutputPath.EnsureWritable(chart);
        bool resume = a.Flag("resume");
        if (!resume && File.Exists(output) && new FileInfo(output).Length > 0)
            Console.Error.WriteLine($"eval: {output} exists and is replaced (--resume keeps its answers)");

        var items = benchmark.Read(data);
        if (items.Count == 0) throw new MantisException($"mantis eval: {data} holds no {benchmark.Title} items");
        using var bundle = ModelBundle.Load(modelDir, a.Get("system-prompt"), LoadOptions.ForInference(a, "eval"));
        var bar = new ProgressBar(benchmark.Title);
        var result = BenchmarkRunner.Run(bundle, benchmark, items, new BenchmarkRunOptions
        {
            BatchSize = batch,
            MaxNewTokens = maxNew,
            Limit = limit,
            AnswersPath = output,
            Resume = resume,
            Progress = bar.Report,
        });
        bar.Finish();
        BenchmarkChart.Save(result, chart);
        Console.Write(result.ToTable());
        if (result.Generated > 0)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"answered {result.Generated} items in {result.Seconds:F1} s ({result.Generated / Math.Max(result.Seconds, 1e-9):F2} items/s, batch {batch}); {result.Count - result.Generated} resumed"));
        Console.WriteLine($"answers: {Path.GetFullPath(output)}");
        Console.WriteLine($"chart: {Path.GetFullPath(chart)}");
        return 0;
    }

    /// <summary>A one-line text progress bar on stderr (redrawn in place on a terminal, a line per tenth when redirected).</summary>
    private sealed class ProgressBar(string title)
    {
        private int _lastTenth = -1;
        private readonly System.Diagnostics.Stopwatch _sw = System.Diagnostics.Stopwatch.StartNew();

        public void Report(int done, int total)
        {
            const int width = 30;
            int filled = total == 0 ? width : done * width / total;
            var line = string.Create(CultureInfo.InvariantCulture,
                $"{title} [{new string('#', filled)}{new string('.', width - filled)}] {done}/{total} ({_sw.Elapsed.TotalSeconds:F0} s)");
            if (!Console.IsErrorRedirected) { Console.Error.Write("\r" + line); return; }
            int tenth = total == 0 ? 10 : done * 10 / total;
            if (tenth == _lastTenth) return;
            _lastTenth = tenth;
            Console.Error.WriteLine(line);
        }

        public void Finish()
        {
            if (!Console.IsErrorRedirected) Console.Error.WriteLine();
        }
    }
}
