using System.Diagnostics;
using System.Runtime.ExceptionServices;
using MantisNative.Data.Images;
using MantisNative.Data.Records;
using MantisNative.Data.Video;
using MantisNative.Inference;

namespace MantisNative.Evaluation;

/// <summary>
/// Answers every record greedily (the prompt is the conversation up to its final assistant turn), scores the answer
/// against that turn with the paper's parsing (<see cref="AnswerScorer"/>), and reports accuracy per task family, per
/// skill and overall beside chance.
/// </summary>
public static class Evaluator
{
    /// <summary>Models smaller than this get record-level parallelism by default (see <see cref="EvalOptions.Parallelism"/>).</summary>
    public const long SmallModelParameters = 20_000_000;

    public static EvalReport Run(ModelBundle bundle, IReadOnlyList<InstructRecord> records, EvalOptions? options = null, CancellationToken ct = default)
    {
        options ??= new EvalOptions();
        if (options.MaxNewTokens < 1) throw new MantisException($"eval: max new tokens must be at least 1, got {options.MaxNewTokens}");
        if (options.Limit is < 1) throw new MantisException($"eval: limit must be at least 1, got {options.Limit}");
        if (options.Parallelism < 0) throw new MantisException($"eval: parallelism must be 0 (automatic) or more, got {options.Parallelism}");
        // every record is checked before the first answer: a malformed one fails at once, not after an hour
        var questions = records.Take(options.Limit ?? int.MaxValue).Select(EvalQuestion.FromRecord).ToList();
        var generation = new GenerationOptions { MaxNewTokens = options.MaxNewTokens, Temperature = 0 };

        var sw = Stopwatch.StartNew();
        var predictions = new EvalPrediction[questions.Count];
        int done = 0, correct = 0;
        var progressLock = new object();
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Workers(bundle, options), CancellationToken = ct };
        try
        {
            Parallel.For(0, questions.Count, parallel, i =>
            {
                var p = Predict(bundle, questions[i], generation, ct);
                predictions[i] = p;
                lock (progressLock)
                {
                    done++;
                    if (p.Correct) correct++;
                    options.Progress?.Invoke(new EvalProgress(done, questions.Count, correct, sw.Elapsed.TotalSeconds));
                }
            });
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            // one clear error (the first record's), not a bundle of parallel ones
            ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
        }

        if (options.PredictionsPath is { } path) PredictionsFile.Write(path, predictions);
        return Summarize(questions, predictions, options.ChanceByFamily, sw.Elapsed.TotalSeconds, options.PredictionsPath);
    }

    /// <summary>Answers and scores one question.</summary>
    public static EvalPrediction Predict(ModelBundle bundle, EvalQuestion q, GenerationOptions generation, CancellationToken ct = default)
    {
        var t0 = Stopwatch.GetTimestamp();
        // a video entry of a record is its sampled frames and its one <image> tag one per frame, as in training
        var images = new List<ProcessedImage>();
        var perEntry = new List<int>(q.Images.Count);
        foreach (var src in q.Images)
        {
            var frames = src.IsVideo ? VideoFrames.Load(src.FilePath!).Select(bundle.ImageProcessor.Process).ToList() : new List<ProcessedImage> { bundle.ProcessImage(src) };
            images.AddRange(frames);
            perEntry.Add(frames.Count);
        }
        var prompt = q.Images.Any(s => s.IsVideo) ? MantisNative.Data.Chat.ImageTags.Expand(q.Prompt, perEntry, ImageTags.Tag) : q.Prompt;
        var answer = bundle.Answer(q.Id, prompt, images, generation, null, ct);
        var score = AnswerScorer.Score(q, answer.Text);
        return new EvalPrediction(q.Id, q.Skill, q.Family, q.Question, q.Reference, answer.Text, score.Parsed, score.Correct,
            q.Options, Stopwatch.GetElapsedTime(t0).TotalSeconds);
    }

    private static int Workers(ModelBundle bundle, EvalOptions options)
    {
        if (options.Parallelism > 0) return options.Parallelism;
        long parameters = bundle.Model.Parameters.All.Sum(p => p.Tensor.Numel);
        return parameters < SmallModelParameters ? Environment.ProcessorCount : 1;
    }

    private static EvalReport Summarize(List<EvalQuestion> questions, EvalPrediction[] predictions,
        IReadOnlyDictionary<string, double>? chanceByFamily, double seconds, string? path)
    {
        // a record's chance: its family's from dataset_info.json when known, else 1 / its options
        var chance = questions.Select(q => chanceByFamily is not null && chanceByFamily.TryGetValue(q.Family, out var c) ? c : q.Chance).ToArray();
        GroupAccuracy Group(string name, IEnumerable<int> members)
        {
            var idx = members.ToList();
            var known = idx.Where(i => chance[i] is not null).ToList();
            double? ch = idx.Count > 0 && known.Count == idx.Count ? known.Average(i => chance[i]!.Value) : null;
            return new GroupAccuracy(name, idx.Count, idx.Count(i => predictions[i].Correct), ch);
        }
        var all = Enumerable.Range(0, questions.Count);
        var skillOf = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var q in questions) skillOf.TryAdd(q.Family, q.Skill);
        return new EvalReport
        {
            Overall = Group("overall", all),
            Families = questions.Select(q => q.Family).Distinct().Select(f => Group(f, all.Where(i => questions[i].Family == f))).ToList(),
            Skills = questions.Select(q => q.Skill).Distinct().Select(s => Group(s, all.Where(i => questions[i].Skill == s))).ToList(),
            SkillOfFamily = skillOf,
            Predictions = predictions,
            Seconds = seconds,
            PredictionsPath = path is null ? null : Path.GetFullPath(path),
        };
    }
}
