using MantisNative.Evaluation.Benchmarks;
using NUnit.Framework;

namespace MantisNative.Tests.Evaluation.Benchmarks;

/// <summary>Every rule of the reference harnesses' answer reading, one at a time, with outputs that reach each fallback.</summary>
public class MantisHarnessScoringTests
{
    private static readonly string[] TrueFalse = { "(A) False", "(B) True" };
    private static readonly string[] Colours = { "(A) red", "(B) blue", "(C) green" };

    [TestCase("The images differ. Final Answer: B. blue", "B. blue")]
    [TestCase("final answer:   C  ", "C")]
    [TestCase("I think the answer is (C) and answer: B", "(C) and answer: B")]   // "the answer is" beats a later "answer:"
    [TestCase("Answer: A", "A")]
    [TestCase("FINAL ANSWER: x. The answer is y", "x. The answer is y")]     // "final answer:" first, case-insensitive
    [TestCase("  no marker here ", "  no marker here ")]                      // unchanged, not even stripped
    public void ParseAnswerTakesTheTextAfterTheFirstMarkerPresent(string raw, string expected) =>
        Assert.That(MantisHarnessScoring.ParseAnswer(raw), Is.EqualTo(expected));

    [TestCase("Answer: C", 'C')]
    [TestCase("(b) blue", 'B')]
    [TestCase("  3) the third", 'T')]     // first alphabetic character, whatever it is
    [TestCase("42 !", null)]
    public void GetOptionReadsAnswerLetterOrTheFirstLetter(string answer, char? expected) =>
        Assert.That(MantisHarnessScoring.GetOption(answer), Is.EqualTo(expected));

    [TestCase("(B)", 'B')]
    [TestCase("B\n", 'B')]
    [TestCase("(C) green", 'C')]
    [TestCase("b", 'b')]                 // a single character is kept as it is
    public void ReferenceLetterIsStrippedThenFirstLetter(string reference, char expected) =>
        Assert.That(MantisHarnessScoring.ReferenceLetter(reference), Is.EqualTo(expected));

    [Test]
    public void ValidOptionIsBelowTheOptionCount()
    {
        Assert.That(MantisHarnessScoring.IsValidOption('B', 2), Is.True);
        Assert.That(MantisHarnessScoring.IsValidOption('C', 2), Is.False);
        Assert.That(MantisHarnessScoring.IsValidOption(null, 2), Is.False);
    }

    [Test]
    public void ALetterThatIndexesAnOptionDecides()
    {
        Assert.That(MantisHarnessScoring.MultipleChoice("B", "B", Colours, false), Is.EqualTo(new BenchmarkScore("B", true)));
        Assert.That(MantisHarnessScoring.MultipleChoice("blue", "B", Colours, false), Is.EqualTo(new BenchmarkScore("B", true)), "first letter b -> B");
        Assert.That(MantisHarnessScoring.MultipleChoice("Answer: A", "(B)", Colours, false), Is.EqualTo(new BenchmarkScore("A", false)));
        Assert.That(MantisHarnessScoring.MultipleChoice("red", "b", Colours, false).Correct, Is.False, "R is no option, and 'red' is not option b's text");
    }

    [Test]
    public void Nlvr2FallsBackToTrueFalseKeywords()
    {
        // "True" starts with T: not an option letter of two (A, B), so the keyword rule decides
        Assert.That(MantisHarnessScoring.MultipleChoice("True", "B", TrueFalse, nlvr2: true), Is.EqualTo(new BenchmarkScore("True", true)));
        // 'I' is no option of two, so the keyword rule reads "false" against the reference option
        Assert.That(MantisHarnessScoring.MultipleChoice("It is false.", "A", TrueFalse, nlvr2: true), Is.EqualTo(new BenchmarkScore("It is false.", true)));
        Assert.That(MantisHarnessScoring.MultipleChoice("It is false.", "B", TrueFalse, nlvr2: true).Correct, Is.False);
        Assert.That(MantisHarnessScoring.MultipleChoice("true or false?", "B", TrueFalse, nlvr2: true).Correct, Is.False, "both words: neither side");
        Assert.That(MantisHarnessScoring.MultipleChoice("False", "A", TrueFalse, nlvr2: true).Correct, Is.True);
        Assert.That(MantisHarnessScoring.NlvrKeywordMatch("That is TRUE", "(B) True"), Is.True);
        Assert.That(MantisHarnessScoring.NlvrKeywordMatch("That is TRUE", "(A) False"), Is.False);
    }

    [Test]
    public void OtherDatasetsFallBackToTheExactOptionText()
    {
        var opts = new[] { "A. 12", "B: 7", "(C) 9", "4" };
        Assert.That(MantisHarnessScoring.MultipleChoice(" 12 ", "A", opts, false).Correct, Is.True, "'A.' prefix removed, output stripped");
        Assert.That(MantisHarnessScoring.MultipleChoice("7", "B", opts, false).Correct, Is.True, "'B:' prefix");
        Assert.That(MantisHarnessScoring.MultipleChoice("9", "C", opts, false).Correct, Is.True, "'(C)' prefix");
        Assert.That(MantisHarnessScoring.MultipleChoice("4", "D", opts, false).Correct, Is.True, "no prefix: whole option");
        Assert.That(MantisHarnessScoring.MultipleChoice("9", "A", opts, false), Is.EqualTo(new BenchmarkScore("9", false)));
        Assert.That(MantisHarnessScoring.MultipleChoice("7", "F", opts, false).Correct, Is.False, "reference beyond the options");
    }

    [Test]
    public void ShortAnswersAreCaseInsensitiveExact()
    {
        Assert.That(MantisHarnessScoring.ShortAnswer("The cat is on the left. Final Answer: Cat", "cat"), Is.EqualTo(new BenchmarkScore("Cat", true)));
        Assert.That(MantisHarnessScoring.ShortAnswer("Final Answer: cat.", "cat").Correct, Is.False, "exact: the full stop counts");
        Assert.That(MantisHarnessScoring.ShortAnswer("2", "(2)").Correct, Is.True, "the reference is stripped of ()");
    }
}

public class MantisHarnessPromptTests
{
    [Test]
    public void OptionsTemplateAndTagsAsTheReference()
    {
        var p = MantisHarnessPrompt.Build("<image> Which is bigger?", AnswerKind.MultipleChoice, new[] { "left", "B. right" }, 2);
        Assert.That(p, Is.EqualTo("<image><image> Which is bigger?\n (A) left\n B. right\nAnswer with the option's letter from the given choices directly."));
        // the letter test looks anywhere in the upper-cased option: "c." inside "etc." counts for C
        Assert.That(MantisHarnessPrompt.WithOptions("Q", new[] { "x", "y", "abc. etc" }), Is.EqualTo("Q\n (A) x\n (B) y\n abc. etc"));
        var s = MantisHarnessPrompt.Build("<image><image> What differs?", AnswerKind.ShortAnswer, new[] { "ignored" }, 2);
        Assert.That(s, Is.EqualTo("Given the images, answer the following short answer vqa question:\nQ: <image><image> What differs?\nYou can first give your analysis, and then give your final answer as \"Final Answer:\""));
    }
}

public class BlinkScoringTests
{
    private static readonly string[] Choices = { "left", "right", "the middle one" };

    [TestCase("B", "(B)")]
    [TestCase("(C)", "(C)")]
    [TestCase("E", "(E)")]           // the reference's list is A..E whatever the choices
    [TestCase(" B", null)]
    [TestCase("b", null)]
    public void ExactLetter(string output, string? expected) => Assert.That(BlinkScoring.ExactLetter(output), Is.EqualTo(expected));

    [TestCase("I pick (B) here", 3, "(B)")]
    [TestCase("(A) or (B)?\n\nSo (B)", 3, "(B)")]      // two in all, one in the last paragraph
    [TestCase("(A) or (B)?\n\n(A) (B)", 3, null)]      // none single: extraction
    [TestCase("(B)! is it", 3, null)]                  // "(B)!" is not the token "(B)"
    [TestCase("maybe (D)", 3, null)]                   // not a choice of three
    [TestCase("no letter", 3, null)]
    public void SingleToken(string output, int n, string? expected) => Assert.That(BlinkScoring.SingleToken(output, n), Is.EqualTo(expected));

    [Test]
    public void DeterministicExtractionStandsInForGpt()
    {
        Assert.That(BlinkScoring.ExtractDeterministic("B. the right one", Choices), Is.EqualTo("(B)"));
        Assert.That(BlinkScoring.ExtractDeterministic("It is the middle one.", Choices), Is.EqualTo("(C)"), "longest contained option text");
        Assert.That(BlinkScoring.ExtractDeterministic("left or right", Choices), Is.EqualTo("(B)"), "the longer of two contained texts");
        Assert.That(BlinkScoring.ExtractDeterministic("cat or dog", new[] { "cat", "dog" }), Is.EqualTo("(Z)"), "two texts of one length: no pick");
        Assert.That(BlinkScoring.ExtractDeterministic("D. nothing", Choices), Is.EqualTo("(Z)"));
        Assert.That(BlinkScoring.Score("I think (B)", "(B)", Choices), Is.EqualTo(new BenchmarkScore("(B)", true)));
        Assert.That(BlinkScoring.Score("Right.", "(B)", Choices), Is.EqualTo(new BenchmarkScore("(B)", true)), "reaches the extraction");
        Assert.That(BlinkScoring.Score("A", "(B)", Choices).Correct, Is.False);
    }

    [Test]
    public void DisclaimerOnlyForItsThreeTasks()
    {
        Assert.That(BlinkBenchmark.Prompt("Jigsaw", "P"), Is.EqualTo(BlinkBenchmark.Disclaimer + "P"));
        Assert.That(BlinkBenchmark.Prompt("Counting", "P"), Is.EqualTo("P"));
    }
}

public class MvBenchScoringTests
{
    private static readonly string[] Candidates = { "walking", "running", "sitting" };

    [Test]
    public void QuestionAndReferenceAsQaTemplate()
    {
        Assert.That(MvBenchScoring.Question("What does he do?", Candidates),
            Is.EqualTo("Question: What does he do?\nA. walking\nB. running\nC. sitting\nAnswer with the option's letter from the given choices directly."));
        Assert.That(MvBenchScoring.Reference("running", Candidates), Is.EqualTo("B. running"));
        Assert.That(MvBenchScoring.Reference("flying", Candidates), Is.EqualTo("@. flying"), "no equal candidate: chr(ord('A') - 1)");
    }

    [TestCase("so the answer is B, not the answer is C", "C")]     // the last occurrence
    [TestCase("The Answer is A", "The Answer is A")]               // case-sensitive: no marker
    [TestCase("answer: (B)", "(B)")]
    [TestCase("I believe the option is C", "C")]
    [TestCase("Answer: C", "C")]
    public void AfterMarker(string output, string expected) => Assert.That(MvBenchScoring.AfterMarker(output), Is.EqualTo(expected));

    [Test]
    public void FirstLetterDecidesAndIsNotUpperCased()
    {
        Assert.That(MvBenchScoring.Score("(B) running", "B. running"), Is.EqualTo(new BenchmarkScore("B", true)));
        Assert.That(MvBenchScoring.Score("b", "B. running").Correct, Is.False, "no upper-casing");
        Assert.That(MvBenchScoring.Score("Running", "B. running").Correct, Is.False, "R is not B");
        Assert.That(MvBenchScoring.Score("42", "B. running"), Is.EqualTo(new BenchmarkScore("42", false)));
        Assert.That(MvBenchScoring.Score("", "B. running").Correct, Is.False);
    }
}
