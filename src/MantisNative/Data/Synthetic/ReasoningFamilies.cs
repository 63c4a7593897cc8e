namespace MantisNative.Data.Synthetic;

/// <summary>
/// Reasoning, NLVR2-style: a statement about a left and a right image, true or false (balanced 50/50).
/// The statements combine two facts (a comparison, a colour-shape binding in a named image, a property of both).
/// </summary>
internal static class ReasoningFamilies
{
    public const string Skill = "reasoning";
    private static readonly string[] TrueFalse = { "true", "false" };

    public static IEnumerable<TaskFamily> All()
    {
        TaskFamily count = null!, exists = null!, both = null!;
        count = new TaskFamily
        {
            Name = "nlvr_count", Skill = Skill, Answers = TrueFalse,
            Example = "<image><image> The left image has more shapes than the right image. True or false?",
            Generate = ctx =>
            {
                bool truth = ctx.Rng.Coin(), saysMore = ctx.Rng.Coin();
                int a = ctx.Rng.Range(1, 4), b;
                do b = ctx.Rng.Range(1, 4); while (b == a);
                bool leftMore = a > b;
                if (leftMore != (saysMore == truth)) (a, b) = (b, a); // make the statement's truth what was drawn
                int focal = ctx.Rng.Next(2);
                var p0 = ctx.Pairs.Pair(focal: focal == 0);
                var p1 = ctx.Pairs.Pair(focal: focal == 1);
                var scenes = new[]
                {
                    SceneLayout.Grid(p0.Colour, p0.Shape, a, ctx.ImageSize, ctx.Rng),
                    SceneLayout.Grid(p1.Colour, p1.Shape, b, ctx.ImageSize, ctx.Rng),
                };
                return count.Make(ctx, $"The left image has {(saysMore ? "more" : "fewer")} shapes than the right image. True or false?", truth ? "true" : "false", TrueFalse, scenes);
            },
        };
        exists = new TaskFamily
        {
            Name = "nlvr_exists", Skill = Skill, Answers = TrueFalse,
            Example = "<image><image> There is a red square in the right image. True or false?",
            Generate = ctx =>
            {
                bool truth = ctx.Rng.Coin();
                int side = ctx.Rng.Next(2);
                // the named image is the focal one: in held-out it shows a withheld pair
                var named = ctx.Pairs.Pair(focal: true);
                var other = ctx.Pairs.Pair(focal: false);
                while (other == named) other = ctx.Pairs.Pair(focal: false);
                (ColourKind, ShapeKind) stated;
                if (truth) stated = named;
                else if (ctx.Rng.Coin()) stated = other; // the pair is there, but in the other image
                else
                {
                    // a pair shown nowhere, differing from the named image's in colour, shape or both
                    do stated = ctx.Pairs.Pair(focal: false); while (stated == named || stated == other);
                }
                var scenes = ComparisonFamilies.Order(side,
                    SceneLayout.Single(named.Colour, named.Shape, ctx.ImageSize, ctx.Rng),
                    SceneLayout.Single(other.Colour, other.Shape, ctx.ImageSize, ctx.Rng));
                string sideName = side == 0 ? "left" : "right";
                return exists.Make(ctx, $"There is a {Attributes.Name(stated.Item1)} {Attributes.Name(stated.Item2)} in the {sideName} image. True or false?",
                    truth ? "true" : "false", TrueFalse, scenes);
            },
        };
        both = new TaskFamily
        {
            Name = "nlvr_both", Skill = Skill, Answers = TrueFalse,
            Example = "<image><image> Both images show a triangle. True or false?",
            Generate = ctx =>
            {
                bool truth = ctx.Rng.Coin();
                var s = ctx.Rng.Pick(Attributes.Shapes);
                int focal = ctx.Rng.Next(2);
                var shapes = new ShapeKind[2];
                if (truth) shapes[0] = shapes[1] = s;
                else
                {
                    // false: one of them (or both) shows another shape
                    int which = ctx.Rng.Next(3);
                    shapes[0] = which == 1 ? s : ComparisonFamilies.Other(ctx.Rng, Attributes.Shapes, s);
                    shapes[1] = which == 0 ? s : ComparisonFamilies.Other(ctx.Rng, Attributes.Shapes, s);
                }
                var scenes = shapes.Select((sh, i) => SceneLayout.Single(ctx.Pairs.ColourFor(sh, focal: i == focal), sh, ctx.ImageSize, ctx.Rng)).ToArray();
                return both.Make(ctx, $"Both images show a {Attributes.Name(s)}. True or false?", truth ? "true" : "false", TrueFalse, scenes);
            },
        };
        return new[] { count, exists, both };
    }
}
