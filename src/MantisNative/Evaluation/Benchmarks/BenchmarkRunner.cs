using System.Diagnostics;
using MantisNative.Data.Chat;
using MantisNative.Inference;

namespace MantisNative.Evaluation.Benchmarks;

/// <summary>Settings of <see cref="BenchmarkRunner.Run"/>.</summary>
public sealed record BenchmarkRunOptions
{
    /// <summary>Prompts decoded together (greedy; the answers do not depend on it).</summary>
    public int BatchSize { get; init; } = 8;
    public int MaxNewTokens { get; init; } = 64;
    /// <summary>Only the first N items; null = all.</summary>
    public int? Limit { get; init; }
    /// <summary>The per-item JSONL; written as batches finish.</summary>
    public required string AnswersPath { get; init; }
    /// <summary>Keep the answers already in <see cref="AnswersPath"/> (scored again) and answer only the rest.</summary>
    public bool Resume { get; init; }
    /// <summary>Called after each batch with (items done, items in all).</summary>
    public Action<int, int>? Progress { get; init; }
}

/// <summary>Asks a model every item of a benchmark in batches, scores each output as the reference harness does, and sums up.</summary>
public static class BenchmarkRunner
{
    public static BenchmarkResult Run(ModelBundle bundle, IBenchmark benchmark, IReadOnlyList<BenchmarkItem> all, BenchmarkRunOptions options,
        CancellationToken cancel = default)
    {
        if (options.BatchSize < 1) throw new MantisException($"batch size must be at least 1, got {options.BatchSize}");
        if (options.MaxNewTokens < 1) throw new MantisException($"max new tokens must be at least 1, got {options.MaxNewTokens}");
        if (options.Limit is < 1) throw new MantisException($"limit must be at least 1, got {options.Limit}");
        var items = all.Take(options.Limit ?? int.MaxValue).ToList();
        var dup = items.GroupBy(i => i.Id).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null) throw new MantisException($"{benchmark.Title}: item id '{dup.Key}' occurs {dup.Count()} times; ids must be unique to resume");

        var previous = options.Resume ? BenchmarkJsonl.ReadOutputs(options.AnswersPath) : new Dictionary<string, string>();
        var answers = new BenchmarkAnswer?[items.Count];
        for (int i = 0; i < items.Count; i++)
            if (previous.TryGetValue(items[i].Id, out var output)) answers[i] = Answer(benchmark, items[i], output);
        BenchmarkJsonl.Rewrite(options.AnswersPath, answers.Where(a => a is not null)!);

        var todo = Enumerable.Range(0, items.Count).Where(i => answers[i] is null).ToList();
        int done = items.Count - todo.Count;
        options.Progress?.Invoke(done, items.Count);
        var sw = Stopwatch.StartNew();
        for (int start = 0; start < todo.Count; start += options.BatchSize)
        {
            var batch = todo.Skip(start).Take(options.BatchSize).ToList();
            var outputs = AnswerBatch(bundle, batch.Select(i => items[i]).ToList(), options.MaxNewTokens, cancel);
            var scored = batch.Select((i, k) => answers[i] = Answer(benchmark, items[i], outputs[k])).ToList();
            BenchmarkJsonl.Append(options.AnswersPath, scored!);
            done += batch.Count;
            options.Progress?.Invoke(done, items.Count);
        }
        return Summarize(benchmark, items, answers!, todo.Count, sw.Elapsed.TotalSeconds);
    }

    /// <summary>The raw greedy outputs of a batch of items (stop token removed), in order.</summary>
    public static string[] AnswerBatch(ModelBundle bundle, IReadOnlyList<BenchmarkItem> batch, int maxNewTokens, CancellationToken cancel = default)
    {
        var prompts = new List<BatchPrompt>();
        try
        {
            foreach (var item in batch)
            {
                var images = item.LoadImages();
                if (images.Count != item.ImageCount)
                    throw new MantisException($"{item.Id}: {images.Count} images loaded, the prompt has {item.ImageCount}");
                var processed = images.Select(bundle.ImageProcessor.Process).ToList();
                var ids = bundle.EncodePrompt(item.Id, new[] { ChatMessage.User(item.Prompt) }, processed.Count);
                prompts.Add(new BatchPrompt(ids, PixelBatch.Stack(processed)));
            }
            var stops = bundle.StopIds.ToArray();
            var tokens = BatchGenerator.Generate(bundle.Model, prompts,
                new GenerationOptions { MaxNewTokens = maxNewTokens, Temperature = 0, StopIds = stops }, cancel);
            return tokens.Select(t => bundle.Tokenizer.Decode(t.Where(id => !stops.Contains(id)))).ToArray();
        }
        finally
        {
            foreach (var p in prompts) p.Pixels?.Dispose();
        }
    }

    private static BenchmarkAnswer Answer(IBenchmark benchmark, BenchmarkItem item, string output)
    {
        var s = benchmark.Score(item, output);
        return new BenchmarkAnswer(item.Id, item.Category, item.Prompt, output, s.Parsed, item.Reference, s.Correct);
    }

    private static BenchmarkResult Summarize(IBenchmark benchmark, List<BenchmarkItem> items, BenchmarkAnswer[] answers, int generated, double seconds)
    {
        var categories = items.Select(i => i.Category).Distinct()
            .Select(c => new CategoryAccuracy(c, answers.Count(a => a.Category == c), answers.Count(a => a.Category == c && a.Correct))).ToList();
        return new BenchmarkResult
        {
            Benchmark = benchmark,
            Overall = benchmark.Overall(items.Select((it, i) => (it, answers[i].Correct)).ToList()),
            Count = items.Count,
            Correct = answers.Count(a => a.Correct),
            Categories = categories,
            Answers = answers,
            Generated = generated,
            Seconds = seconds,
        };
    }
}
