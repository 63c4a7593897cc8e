namespace MantisNative.Evaluation.Benchmarks;

/// <summary>
/// The prompt of the Mantis harness (TIGER-AI-Lab/Mantis mantis/benchmark/eval.py with templates/*.txt), used for
/// NLVR2, Q-Bench2 and Mantis-Eval: options appended as "\n (L) option" (as "\n option" when the option already
/// carries "L)", "L:" or "L." anywhere, upper-cased), the question type's template, and missing &lt;image&gt; tags at the front.
/// </summary>
public static class MantisHarnessPrompt
{
    public const string MultiChoiceTemplate = "{question}\nAnswer with the option's letter from the given choices directly.";
    public const string ShortAnswerTemplate =
        "Given the images, answer the following short answer vqa question:\nQ: {question}\nYou can first give your analysis, and then give your final answer as \"Final Answer:\"";
    public const string ImageTag = "<image>";

    /// <summary>The question with its option lines (multiple choice only).</summary>
    public static string WithOptions(string question, IReadOnlyList<string> options)
    {
        var q = new System.Text.StringBuilder(question);
        char letter = 'A';
        foreach (var option in options)
        {
            q.Append(CarriesLetter(option, letter) ? $"\n {option}" : $"\n ({letter}) {option}");
            letter++;
        }
        return q.ToString();
    }

    /// <summary>The reference's test: "L)", "L:" or "L." anywhere in the upper-cased option.</summary>
    public static bool CarriesLetter(string option, char letter)
    {
        var upper = option.ToUpperInvariant();
        return upper.Contains($"{letter})", StringComparison.Ordinal) || upper.Contains($"{letter}:", StringComparison.Ordinal)
            || upper.Contains($"{letter}.", StringComparison.Ordinal);
    }

    /// <summary>The whole user message: options, template, then one &lt;image&gt; per image the text lacks, in front.</summary>
    public static string Build(string question, AnswerKind kind, IReadOnlyList<string> options, int images)
    {
        var text = kind == AnswerKind.MultipleChoice
            ? MultiChoiceTemplate.Replace("{question}", WithOptions(question, options), StringComparison.Ordinal)
            : ShortAnswerTemplate.Replace("{question}", question, StringComparison.Ordinal);
        return TagsInFront(text, images);
    }

    /// <summary>"&lt;image&gt;" × (images − tags already in the text) + text.</summary>
    public static string TagsInFront(string text, int images)
    {
        int have = CountTags(text);
        return have < images ? string.Concat(Enumerable.Repeat(ImageTag, images - have)) + text : text;
    }

    public static int CountTags(string text)
    {
        int n = 0;
        for (int i = text.IndexOf(ImageTag, StringComparison.Ordinal); i >= 0; i = text.IndexOf(ImageTag, i + ImageTag.Length, StringComparison.Ordinal)) n++;
        return n;
    }
}
