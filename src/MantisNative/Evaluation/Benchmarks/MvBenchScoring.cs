namespace MantisNative.Evaluation.Benchmarks;

/// <summary>
/// MVBench's prompt and answer reading in the Mantis harness (mantis/benchmark/eval_on_mvbench.py and
/// mvbench_eval_utils.py qa_template).
/// </summary>
public static class MvBenchScoring
{
    public const string Instruction = "Answer with the option's letter from the given choices directly.";

    /// <summary>"Question: q\nA. c0\nB. c1\n...Answer with ...", right-stripped, as qa_template builds it.</summary>
    public static string Question(string question, IReadOnlyList<string> candidates)
    {
        var sb = new System.Text.StringBuilder($"Question: {question}\n");
        for (int i = 0; i < candidates.Count; i++) sb.Append($"{(char)('A' + i)}. {candidates[i]}\n");
        sb.Append(Instruction);
        return sb.ToString().TrimEnd();
    }

    /// <summary>The reference "L. answer": L the letter of the first candidate equal to the answer ('@' when none is, as chr(ord('A') − 1)).</summary>
    public static string Reference(string answer, IReadOnlyList<string> candidates)
    {
        int idx = -1;
        for (int i = 0; i < candidates.Count; i++)
            if (candidates[i] == answer) idx = i;   // the reference keeps the last equal candidate
        return $"{(char)('A' + idx)}. {answer}";
    }

    /// <summary>
    /// The text after the last occurrence of the first marker present, tested in order and case-sensitively: "the answer
    /// is", "answer:", "the option is " and "Answer:"; stripped. Without a marker, the output unchanged.
    /// </summary>
    public static string AfterMarker(string output)
    {
        foreach (var (test, split) in new[] { ("the answer is", "the answer is"), ("answer:", "answer:"), ("the option is", "the option is "), ("Answer:", "Answer:") })
            if (output.Contains(test, StringComparison.Ordinal))
            {
                int i = output.LastIndexOf(split, StringComparison.Ordinal);
                return (i < 0 ? output : output[(i + split.Length)..]).Trim();
            }
        return output;
    }

    /// <summary>The first letter of the text (not upper-cased); the text unchanged when it has none.</summary>
    public static string FirstLetter(string text)
    {
        foreach (var c in text)
            if (char.IsLetter(c)) return c.ToString();
        return text;
    }

    /// <summary>Correct when the first character of what is read equals the reference's first character (its letter).</summary>
    public static BenchmarkScore Score(string output, string reference)
    {
        var read = FirstLetter(AfterMarker(output));
        return new BenchmarkScore(read, read.Length > 0 && reference.Length > 0 && read[0] == reference[0]);
    }
}
