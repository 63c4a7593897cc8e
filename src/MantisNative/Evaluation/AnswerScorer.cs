namespace MantisNative.Evaluation;

/// <summary>What scoring made of one output: the answer it read (an option letter, normalised text, or the raw output) and whether it is right.</summary>
public sealed record ScoredAnswer(string Parsed, bool Correct);

/// <summary>Scores a model output against an <see cref="EvalQuestion"/>'s reference.</summary>
public static class AnswerScorer
{
    public static ScoredAnswer Score(EvalQuestion q, string raw) =>
        q.Kind == QuestionKind.MultipleChoice ? MultipleChoice(q, raw) : ShortAnswer(q, raw);

    /// <summary>
    /// The paper's multiple-choice rule: the option letter of the extracted answer, if it indexes an option; else the
    /// NLVR2 true/false keyword rule (for NLVR2 data), else the whole output equal to the reference option's text.
    /// </summary>
    public static ScoredAnswer MultipleChoice(EvalQuestion q, string raw)
    {
        var answer = AnswerParser.ExtractAnswer(raw);
        var reference = AnswerParser.ReferenceLetter(q.Reference);
        var selected = AnswerParser.OptionLetter(answer);
        if (AnswerParser.LetterIndex(selected, q.Options.Count) is not null)
            return new ScoredAnswer(selected!.Value.ToString(), selected == reference);
        if (AnswerParser.LetterIndex(reference, q.Options.Count) is not int refIndex) return new ScoredAnswer(raw, false);
        var option = q.Options[refIndex];
        bool correct = IsNlvr(q)
            ? AnswerParser.NlvrKeywordMatch(raw, option)
            : raw.Trim() == AnswerParser.OptionText(option, reference!.Value);
        return new ScoredAnswer(raw, correct);
    }

    /// <summary>
    /// Normalised exact match (case, surrounding punctuation and whitespace ignored). With an option list, an answer
    /// that is a bare letter ("B", "(B)") stands for that option, unless it already is one of the options.
    /// </summary>
    public static ScoredAnswer ShortAnswer(EvalQuestion q, string raw)
    {
        var answer = AnswerParser.ExtractAnswer(raw);
        var parsed = AnswerParser.Normalize(answer);
        if (q.Options.Count > 0 && !q.Options.Any(o => AnswerParser.Normalize(o) == parsed)
            && AnswerParser.LetterIndex(AnswerParser.BareLetter(answer), q.Options.Count) is int i)
            parsed = AnswerParser.Normalize(q.Options[i]);
        return new ScoredAnswer(parsed, parsed == AnswerParser.Normalize(q.Reference));
    }

    private static bool IsNlvr(EvalQuestion q) =>
        (q.Dataset ?? q.Family).Contains("nlvr2", StringComparison.OrdinalIgnoreCase);
}
