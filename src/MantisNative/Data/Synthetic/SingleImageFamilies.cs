namespace MantisNative.Data.Synthetic;

/// <summary>Single-image questions: the visual basics every multi-image skill is built from.</summary>
internal static class SingleImageFamilies
{
    public const string Skill = "single";

    public static IEnumerable<TaskFamily> All()
    {
        TaskFamily colour = null!, shape = null!, count = null!;
        colour = new TaskFamily
        {
            Name = "single_colour", Skill = Skill, Answers = Attributes.ColourNames,
            Example = "<image> What colour is the shape? Answer with one word.",
            Generate = ctx =>
            {
                var (c, s) = ctx.Pairs.Pair(focal: true);
                var scene = SceneLayout.Single(c, s, ctx.ImageSize, ctx.Rng);
                return colour.Make(ctx, "What colour is the shape? Answer with one word.", Attributes.Name(c), Attributes.ColourNames, new[] { scene });
            },
        };
        shape = new TaskFamily
        {
            Name = "single_shape", Skill = Skill, Answers = Attributes.ShapeNames,
            Example = "<image> What shape is in the image? Answer with one word.",
            Generate = ctx =>
            {
                var (c, s) = ctx.Pairs.Pair(focal: true);
                var scene = SceneLayout.Single(c, s, ctx.ImageSize, ctx.Rng);
                return shape.Make(ctx, "What shape is in the image? Answer with one word.", Attributes.Name(s), Attributes.ShapeNames, new[] { scene });
            },
        };
        var counts = FamilyContext.Numbers(4);
        count = new TaskFamily
        {
            Name = "single_count", Skill = Skill, Answers = counts,
            Example = "<image> How many shapes are in the image? Answer with a number.",
            Generate = ctx =>
            {
                var (c, s) = ctx.Pairs.Pair(focal: true);
                int k = ctx.Rng.Range(1, 4);
                var scene = SceneLayout.Grid(c, s, k, ctx.ImageSize, ctx.Rng);
                return count.Make(ctx, "How many shapes are in the image? Answer with a number.", counts[k - 1], counts, new[] { scene });
            },
        };
        return new[] { colour, shape, count };
    }
}
