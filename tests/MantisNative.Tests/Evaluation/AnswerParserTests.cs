using MantisNative.Data.Chat;
using MantisNative.Evaluation;
using NUnit.Framework;

namespace MantisNative.Tests.Evaluation;

public class AnswerParserTests
{
    [TestCase("Some reasoning. Final Answer: B", "B")]
    [TestCase("final answer: the answer is C. answer: D", "the answer is C. answer: D", Description = "the first marker wins even when later ones follow")]
    [TestCase("I think the answer is (A).", "(A).")]
    [TestCase("The answer is: red", "red")]
    [TestCase("Answer: 2", "2")]
    [TestCase("  red  ", "red")]
    [TestCase("my answer: yes, final answer: no", "no", Description = "'final answer:' beats an earlier 'answer:'")]
    public void ExtractsTheTextAfterTheFirstMarkerInPriorityOrder(string raw, string expected) =>
        Assert.That(AnswerParser.ExtractAnswer(raw), Is.EqualTo(expected));

    [TestCase("Answer: C", 'C')]
    [TestCase("(b) because", 'B')]
    [TestCase("  12 c", 'C')]
    [TestCase("123", null)]
    public void OptionLetterIsAnswerColonOrTheFirstLetter(string answer, char? expected) =>
        Assert.That(AnswerParser.OptionLetter(answer), Is.EqualTo(expected));

    [Test]
    public void LetterIndexIsValidOnlyBelowTheOptionCount()
    {
        Assert.That(AnswerParser.LetterIndex('B', 2), Is.EqualTo(1));
        Assert.That(AnswerParser.LetterIndex('C', 2), Is.Null);
        Assert.That(AnswerParser.LetterIndex(null, 2), Is.Null);
        Assert.That(AnswerParser.LetterIndex('Ä', 4), Is.Null);
    }

    [TestCase("(A)", 'A')]
    [TestCase("b\n", 'B')]
    [TestCase("(C) a dog", 'C')]
    public void ReferenceLetterIsStrippedThenTheFirstLetter(string reference, char expected) =>
        Assert.That(AnswerParser.ReferenceLetter(reference), Is.EqualTo(expected));

    [TestCase("Red.", "red")]
    [TestCase("  two   words! ", "two words")]
    [TestCase("(2)", "2")]
    [TestCase("TRUE", "true")]
    public void NormalizeIgnoresCaseAndSurroundingPunctuation(string s, string expected) =>
        Assert.That(AnswerParser.Normalize(s), Is.EqualTo(expected));

    [TestCase("B", 'B')]
    [TestCase("(c).", 'C')]
    [TestCase("blue", null)]
    [TestCase("7", null)]
    public void BareLetterIsAWholeAnswerOnly(string answer, char? expected) =>
        Assert.That(AnswerParser.BareLetter(answer), Is.EqualTo(expected));

    private static EvalQuestion Mc(string reference, string[] options, string? dataset = null) => new()
    {
        Id = "q", Skill = "s", Family = "f", Dataset = dataset, Kind = QuestionKind.MultipleChoice,
        Prompt = new[] { ChatMessage.User("<image> q") }, Reference = reference, Options = options, Images = Array.Empty<MantisNative.Data.Records.ImageSource>(),
    };

    private static EvalQuestion Short(string reference, params string[] options) => Mc(reference, options) with { Kind = QuestionKind.ShortAnswer };

    [TestCase("(B)", true, "B")]
    [TestCase("The answer is B.", true, "B")]
    [TestCase("Final Answer: A", false, "A")]
    [TestCase("answer: (b)", true, "B")]
    public void MultipleChoiceReadsTheOptionLetter(string raw, bool correct, string parsed)
    {
        var s = AnswerScorer.Score(Mc("(B)", new[] { "cat", "dog", "bird" }), raw);
        Assert.That((s.Correct, s.Parsed), Is.EqualTo((correct, parsed)));
    }

    [Test]
    public void AnInvalidLetterFallsBackToTheOptionText()
    {
        var q = Mc("B", new[] { "cat", "dog" });
        // "dog": first letter D is no option of two, so the whole output is compared with option B's text
        Assert.That(AnswerScorer.Score(q, "dog").Correct, Is.True);
        Assert.That(AnswerScorer.Score(q, "dog").Parsed, Is.EqualTo("dog"));
        Assert.That(AnswerScorer.Score(q, "Dog ").Correct, Is.False, "the harness compares option text exactly");
        Assert.That(AnswerScorer.Score(q, "42").Correct, Is.False, "no letter, not the text");
        Assert.That(AnswerScorer.Score(Mc("B", new[] { "A: cat", "B: dog" }), "dog").Correct, Is.True, "the option's own letter prefix is dropped");
    }

    [Test]
    public void NlvrKeywordRuleDecidesWhenNoLetterIndexesAnOption()
    {
        var q = Mc("(B)", new[] { "False", "True" }, dataset: "nlvr2");
        Assert.That(AnswerScorer.Score(q, "It is true").Correct, Is.True, "I is no option letter of two; 'true' alone names option B");
        Assert.That(AnswerScorer.Score(q, "It is false").Correct, Is.False);
        Assert.That(AnswerScorer.Score(q, "true or false").Correct, Is.False, "both keywords: no answer");
        Assert.That(AnswerScorer.Score(q with { Dataset = "other" }, "It is true").Correct, Is.False, "exact text only outside NLVR2");
    }

    [Test]
    public void ShortAnswersMatchAfterNormalising()
    {
        Assert.That(AnswerScorer.Score(Short("red"), "Red.").Correct, Is.True);
        Assert.That(AnswerScorer.Score(Short("red"), "The answer is red").Correct, Is.True);
        Assert.That(AnswerScorer.Score(Short("red"), "dark red").Correct, Is.False);
        Assert.That(AnswerScorer.Score(Short("2"), "2").Parsed, Is.EqualTo("2"));
    }

    [Test]
    public void ShortAnswersWithOptionsMapABareLetterToItsOption()
    {
        var q = Short("green", "red", "green", "blue", "yellow");
        Assert.That(AnswerScorer.Score(q, "(B)").Correct, Is.True);
        Assert.That(AnswerScorer.Score(q, "(B)").Parsed, Is.EqualTo("green"));
        Assert.That(AnswerScorer.Score(q, "E").Correct, Is.False, "E is no option of four");
        Assert.That(AnswerScorer.Score(q, "blue").Parsed, Is.EqualTo("blue"), "a word is never read as its first letter");
    }

    [Test]
    public void KindIsDecidedFromTheRecord()
    {
        EvalQuestion From(string answer, string extra) => EvalQuestion.FromRecord(Records.One($"\"options\": [\"cat\", \"dog\"]{extra}", answer));
        Assert.That(From("(B)", "").Kind, Is.EqualTo(QuestionKind.MultipleChoice));
        Assert.That(From("dog", "").Kind, Is.EqualTo(QuestionKind.ShortAnswer));
        Assert.That(From("dog", ", \"question_type\": \"multi-choice\"").Kind, Is.EqualTo(QuestionKind.MultipleChoice));
    }
}
