using System.Globalization;
using MantisNative.Evaluation;
using MantisNative.Inference;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace MantisNative.Cli;

/// <summary>
/// `mantis eval --model DIR --data DIR_OR_FILE [--split heldout] [--limit N] [--output preds.jsonl] [--max-new-tokens 16]
/// [--threads N] [--system-prompt TEXT]`: greedy answers, accuracy per task family beside chance, every prediction as JSONL.
/// </summary>
public static class EvalCommand
{
    public const string DefaultOutput = "eval-predictions.jsonl";
    private const int DefaultMaxNewTokens = 16;

    public static readonly CommandFlags Flags = new("eval", "accuracy per task family on held-out records, or on one of the paper's benchmarks",
        new[]
        {
            CliOption.Needed("model", "DIR", "model folder (Hugging Face layout, or a quantized folder)"),
            CliOption.Needed("data", "DIR|FILE", "records: DIR/<split>.jsonl, or a records file or glob read as it is; with --benchmark, the benchmark's folder"),
            CliOption.Value("split", "NAME", "which DIR/<split>.jsonl to read", "heldout, when the folder has one"),
            CliOption.Value("limit", "N", "score only the first N records", "all"),
            CliOption.Value("output", "FILE.jsonl", "every prediction as JSONL", $"{DefaultOutput}; with --benchmark, eval-<benchmark>.jsonl"),
            CliOption.Value("max-new-tokens", "N", "most tokens generated per answer", $"{DefaultMaxNewTokens}; with --benchmark, {BenchmarkEval.DefaultMaxNewTokens}"),
            CliOption.Value("threads", "N", "records answered in parallel; 0: automatic (parallel records for small models)", "0"),
            CliOption.Value("system-prompt", "TEXT", "system turn put before each question", "the model's own, or none"),
            LoadOptions.WeightsOption,
            LoadOptions.AllowUnusedWeightsOption,
        }.Concat(BenchmarkEval.Options))
    {
        Usage = new[]
        {
            "eval --model DIR --data DIR|FILE [--split NAME] [--limit N] [--output FILE.jsonl] [options]",
            "eval --benchmark NAME --model DIR --data DIR [--output FILE.jsonl] [--chart FILE.png] [--resume] [options]",
            "eval --write-samples DIR",
        },
        Notes = new[] { "Greedy answers, parsed as the paper's harness parses them; accuracy per task family beside chance." },
        Examples = new[]
        {
            "eval --model runs/mantis-tiny/model --data data/synthetic",
            "eval --benchmark mantis-eval --data benchmarks/mantis-eval --model DIR --limit 50",
        },
    };

    public static int Run(string[] argv)
    {
        var a = Flags.Parse(argv);
        if (a.Get("write-samples") is { } samples) return BenchmarkEval.WriteSamples(samples);
        if (a.Has("benchmark")) return BenchmarkEval.Run(a);
        foreach (var only in BenchmarkEval.Names)
            if (a.Has(only))
                throw new MantisException($"mantis eval: --{only} needs --benchmark");
        if (a.Positional.Count > 0) throw new MantisException($"mantis eval: unexpected argument '{a.Positional[0]}'");
        string modelDir = a.Require("model"), data = a.Require("data");
        var split = a.Get("split") ?? (EvalData.SplitFile(data, "heldout") is not null ? "heldout" : null);
        int? limit = a.Has("limit") ? a.GetInt("limit", 0) : null;
        if (limit is < 1) throw new MantisException($"mantis eval: --limit must be at least 1, got {limit}");
        int maxNew = a.GetInt("max-new-tokens", DefaultMaxNewTokens);
        if (maxNew < 1) throw new MantisException($"mantis eval: --max-new-tokens must be at least 1, got {maxNew}");
        int threads = a.GetInt("threads", 0);
        if (threads < 0) throw new MantisException($"mantis eval: --threads must be 0 (automatic) or more, got {threads}");
        var output = a.Get("output") ?? DefaultOutput;
        OutputPath.EnsureWritable(output);

        var recordsPath = EvalData.ResolveRecords(data, split);
        var records = EvalData.Read(recordsPath, limit, out var readReport);
        if (readReport.Skipped > 0) Console.Error.Write(readReport.ToTable());
        if (records.Count == 0) throw new MantisException($"mantis eval: {recordsPath} holds no usable records");

        using var bundle = ModelBundle.Load(modelDir, a.Get("system-prompt"), LoadOptions.ForInference(a, "eval"));
        int step = Math.Max(1, records.Count / 10);
        var report = Evaluator.Run(bundle, records, new EvalOptions
        {
            MaxNewTokens = maxNew,
            Parallelism = threads,
            PredictionsPath = output,
            ChanceByFamily = EvalData.LoadChance(recordsPath),
            Progress = p =>
            {
                if (p.Done % step == 0 || p.Done == p.Total)
                    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"eval: {p.Done}/{p.Total} answered, {EvalReport.Percent((double)p.Correct / p.Done)} right ({p.Seconds:F1} s)"));
            },
        });

        if (Console.IsOutputRedirected) Console.Write(report.ToTable());
        else WriteTable(report);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"overall {EvalReport.Percent(report.Overall.Accuracy)} on {report.Overall.Count} records (chance {(report.Overall.Chance is double c ? EvalReport.Percent(c) : "unknown")}) in {report.Seconds:F1} s"));
        Console.WriteLine($"predictions: {report.PredictionsPath}");
        return 0;
    }

    private static void WriteTable(EvalReport report)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Out) });
        var table = new Table().Border(TableBorder.Rounded);
        foreach (var (h, right) in new[] { ("skill", false), ("family", false), ("n", true), ("correct", true), ("accuracy", true), ("chance", true) })
        {
            var col = new TableColumn(h);
            table.AddColumn(right ? col.RightAligned() : col);
        }
        void Add(string[] cells, Style? style = null) => table.AddRow(cells.Select(s => (IRenderable)new Text(s, style)).ToArray());
        foreach (var f in report.Families) Add(EvalReport.Row(report.SkillOfFamily.GetValueOrDefault(f.Name, ""), f));
        table.AddEmptyRow();
        foreach (var s in report.Skills) Add(EvalReport.Row(s.Name, s with { Name = "(all)" }));
        Add(EvalReport.Row("overall", report.Overall with { Name = "" }), new Style(decoration: Decoration.Bold));
        console.Write(table);
    }
}
