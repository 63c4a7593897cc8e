namespace MantisNative.Evaluation;

/// <summary>How an answer is scored.</summary>
public enum QuestionKind
{
    /// <summary>Normalised exact match with the reference; an option list, if any, lets "(B)" stand for option B.</summary>
    ShortAnswer,

    /// <summary>The reference is an option letter; scored with the paper's option parsing and its fallbacks.</summary>
    MultipleChoice,
}
