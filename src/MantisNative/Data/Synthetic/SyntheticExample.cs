namespace MantisNative.Data.Synthetic;

/// <summary>One generated question: the user text (with one `&lt;image&gt;` per scene), the exact answer,
/// the answers a guess would choose from (chance = 1/Options.Count), and the scenes behind the images.</summary>
public sealed class SyntheticExample
{
    public required string Skill { get; init; }
    public required string Family { get; init; }
    public required string Question { get; init; }
    public required string Answer { get; init; }
    public required IReadOnlyList<string> Options { get; init; }
    public required IReadOnlyList<Scene> Scenes { get; init; }
}
