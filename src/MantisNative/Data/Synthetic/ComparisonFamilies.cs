namespace MantisNative.Data.Synthetic;

/// <summary>Comparison: a property of two images set side by side (more of a shape, same colour, same shape).</summary>
internal static class ComparisonFamilies
{
    public const string Skill = "comparison";
    private static readonly string[] YesNo = { "yes", "no" };

    public static IEnumerable<TaskFamily> All()
    {
        TaskFamily more = null!, sameColour = null!, sameShape = null!;
        more = new TaskFamily
        {
            Name = "compare_more", Skill = Skill, Answers = FamilyContext.Numbers(2),
            Example = "<image><image> Which image has more circles? Answer with the image number.",
            Generate = ctx =>
            {
                var s = ctx.Rng.Pick(Attributes.Shapes);
                int focal = ctx.Rng.Next(2);
                int a = ctx.Rng.Range(1, 4), b;
                do b = ctx.Rng.Range(1, 4); while (b == a);
                var counts = new[] { a, b };
                var scenes = counts.Select((k, i) => SceneLayout.Grid(ctx.Pairs.ColourFor(s, focal: i == focal), s, k, ctx.ImageSize, ctx.Rng)).ToArray();
                return more.Make(ctx, $"Which image has more {Attributes.Plural(s)}? Answer with the image number.", a > b ? "1" : "2", FamilyContext.Numbers(2), scenes);
            },
        };
        sameColour = new TaskFamily
        {
            Name = "compare_same_colour", Skill = Skill, Answers = YesNo,
            Example = "<image><image> Are the shapes in the two images the same colour? Answer yes or no.",
            Generate = ctx =>
            {
                int focal = ctx.Rng.Next(2);
                bool same = ctx.Rng.Coin();
                var (fc, fs) = ctx.Pairs.Pair(focal: true);
                var oc = same ? fc : Other(ctx.Rng, Attributes.Colours, fc);
                var os = ctx.Pairs.ShapeFor(oc, focal: false);
                var scenes = Order(focal, SceneLayout.Single(fc, fs, ctx.ImageSize, ctx.Rng), SceneLayout.Single(oc, os, ctx.ImageSize, ctx.Rng));
                return sameColour.Make(ctx, "Are the shapes in the two images the same colour? Answer yes or no.", same ? "yes" : "no", YesNo, scenes);
            },
        };
        sameShape = new TaskFamily
        {
            Name = "compare_same_shape", Skill = Skill, Answers = YesNo,
            Example = "<image><image> Do the two images show the same shape? Answer yes or no.",
            Generate = ctx =>
            {
                int focal = ctx.Rng.Next(2);
                bool same = ctx.Rng.Coin();
                var (fc, fs) = ctx.Pairs.Pair(focal: true);
                var os = same ? fs : Other(ctx.Rng, Attributes.Shapes, fs);
                var oc = ctx.Pairs.ColourFor(os, focal: false);
                var scenes = Order(focal, SceneLayout.Single(fc, fs, ctx.ImageSize, ctx.Rng), SceneLayout.Single(oc, os, ctx.ImageSize, ctx.Rng));
                return sameShape.Make(ctx, "Do the two images show the same shape? Answer yes or no.", same ? "yes" : "no", YesNo, scenes);
            },
        };
        return new[] { more, sameColour, sameShape };
    }

    internal static T Other<T>(DeterministicRng rng, IReadOnlyList<T> all, T not) where T : struct, Enum =>
        rng.Pick(all.Where(x => !EqualityComparer<T>.Default.Equals(x, not)).ToArray());

    /// <summary>The focal scene at position <paramref name="focal"/> (0 or 1), the other one beside it.</summary>
    internal static Scene[] Order(int focal, Scene focalScene, Scene other) =>
        focal == 0 ? new[] { focalScene, other } : new[] { other, focalScene };
}
