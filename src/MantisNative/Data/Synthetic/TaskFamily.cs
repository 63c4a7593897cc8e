namespace MantisNative.Data.Synthetic;

/// <summary>What a family's generator gets: the example's own RNG, the split's pair rules, the image size.</summary>
public sealed class FamilyContext
{
    public required DeterministicRng Rng { get; init; }
    public required PairSampler Pairs { get; init; }
    public required int ImageSize { get; init; }
    public required SplitKind Split { get; init; }

    /// <summary>"&lt;image&gt;&lt;image&gt; question": the tags first, as Mantis-Instruct's multi-image records put them.</summary>
    public static string Prompt(int images, string question) =>
        string.Concat(Enumerable.Repeat("<image>", images)) + " " + question;

    public static string[] Numbers(int n) => Enumerable.Range(1, n).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
}

/// <summary>A task family: its skill, every answer it can give (the evaluation vocabulary), and its generator.</summary>
public sealed class TaskFamily
{
    public required string Name { get; init; }
    public required string Skill { get; init; }
    public required IReadOnlyList<string> Answers { get; init; }
    /// <summary>A question of this family as a person would read it, for the dataset description.</summary>
    public required string Example { get; init; }
    public required Func<FamilyContext, SyntheticExample> Generate { get; init; }

    internal SyntheticExample Make(FamilyContext ctx, string question, string answer, IReadOnlyList<string> options, IReadOnlyList<Scene> scenes) =>
        new() { Skill = Skill, Family = Name, Question = FamilyContext.Prompt(scenes.Count, question), Answer = answer, Options = options, Scenes = scenes };
}
