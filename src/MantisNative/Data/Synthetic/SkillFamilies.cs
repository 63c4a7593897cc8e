namespace MantisNative.Data.Synthetic;

/// <summary>Every task family of the synthetic skills set, in a fixed order (the order fixes the generated files).</summary>
public static class SkillFamilies
{
    public static IReadOnlyList<TaskFamily> All { get; } =
        SingleImageFamilies.All()
            .Concat(CoreferenceFamilies.All())
            .Concat(ComparisonFamilies.All())
            .Concat(ReasoningFamilies.All())
            .Concat(TemporalFamilies.All())
            .ToArray();

    public static TaskFamily Get(string name) =>
        All.FirstOrDefault(f => f.Name == name) ?? throw new MantisException($"unknown synthetic task family '{name}'");

    /// <summary>Example <paramref name="index"/> of a split: its family is index mod #families (exactly balanced),
    /// its content comes from its own RNG stream. Returns the RNG too: the images are drawn from it next.</summary>
    public static (SyntheticExample Example, DeterministicRng Rng) Generate(SplitKind split, long index, ulong seed, int imageSize)
    {
        var rng = DeterministicRng.For(seed, split == SplitKind.Train ? 1UL : 2UL, (ulong)index);
        var family = All[(int)(index % All.Count)];
        var ctx = new FamilyContext { Rng = rng, Pairs = new PairSampler(split, rng), ImageSize = imageSize, Split = split };
        return (family.Generate(ctx), rng);
    }
}
