using MantisNative.Data.Chat;
using MantisNative.Data.Records;

namespace MantisNative.Evaluation;

/// <summary>
/// One record as an evaluation item: the prompt (every turn before the final assistant turn), the reference (that
/// turn's text, or the record's `answer` field), and the metadata that groups and scores it.
/// </summary>
public sealed record EvalQuestion
{
    public required string Id { get; init; }
    /// <summary>`skill` of the record (falls back to the family).</summary>
    public required string Skill { get; init; }
    /// <summary>`family` of the record (else `category`, `dataset`, `data_source`, else "all").</summary>
    public required string Family { get; init; }
    /// <summary>`dataset` or `data_source` (decides the NLVR2 fallback), or null.</summary>
    public string? Dataset { get; init; }
    public required QuestionKind Kind { get; init; }
    public required IReadOnlyList<ChatMessage> Prompt { get; init; }
    public required string Reference { get; init; }
    public IReadOnlyList<string> Options { get; init; } = Array.Empty<string>();
    public required IReadOnlyList<ImageSource> Images { get; init; }

    /// <summary>The last user message (what the JSONL shows as the question).</summary>
    public string Question => Prompt.LastOrDefault(m => m.Role == "user")?.Content ?? "";

    /// <summary>A uniform guess's accuracy: 1 / number of options; null without options.</summary>
    public double? Chance => Options.Count > 0 ? 1.0 / Options.Count : null;

    /// <summary>
    /// Builds the item. The kind is multiple choice when `question_type` says so ("multi-choice", as Mantis-Eval), or
    /// when there is an option list and the reference is a valid option letter that is not itself an option.
    /// </summary>
    public static EvalQuestion FromRecord(InstructRecord r)
    {
        int last = r.Turns.Count - 1;
        bool finalAssistant = last >= 0 && r.Turns[last].Role == TurnRole.Assistant;
        var reference = finalAssistant ? r.Turns[last].Content : r.Get("answer")
            ?? throw new MantisException($"{r.Location}: record {r.Id} has no final assistant turn and no 'answer' field to score against");
        var prompt = r.Turns.Take(finalAssistant ? last : r.Turns.Count).Select(t => new ChatMessage(t.RoleName, t.Content)).ToList();
        if (!prompt.Any(m => m.Role == "user")) throw new MantisException($"{r.Location}: record {r.Id} has no user turn to ask");
        var options = r.GetList("options") ?? (IReadOnlyList<string>)Array.Empty<string>();
        var family = r.Get("family") ?? r.Get("category") ?? r.Get("dataset") ?? r.Get("data_source") ?? "all";
        return new EvalQuestion
        {
            Id = r.Id,
            Skill = r.Get("skill") ?? family,
            Family = family,
            Dataset = r.Get("dataset") ?? r.Get("data_source"),
            Kind = KindOf(r.Get("question_type"), reference, options),
            Prompt = prompt,
            Reference = reference,
            Options = options,
            Images = r.Images,
        };
    }

    private static QuestionKind KindOf(string? declared, string reference, IReadOnlyList<string> options)
    {
        switch (declared?.Trim().ToLowerInvariant())
        {
            case "multi-choice" or "multiple-choice" or "multiple_choice" or "multi_choice": return QuestionKind.MultipleChoice;
            case "short-answer" or "short_answer" or "open" or "open-ended": return QuestionKind.ShortAnswer;
        }
        if (options.Count == 0) return QuestionKind.ShortAnswer;
        bool referenceIsOption = options.Any(o => AnswerParser.Normalize(o) == AnswerParser.Normalize(reference));
        bool letter = AnswerParser.LetterIndex(AnswerParser.BareLetter(reference), options.Count) is not null;
        return letter && !referenceIsOption ? QuestionKind.MultipleChoice : QuestionKind.ShortAnswer;
    }
}
