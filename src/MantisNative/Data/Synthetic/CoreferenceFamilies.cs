namespace MantisNative.Data.Synthetic;

/// <summary>
/// Co-reference: the question names an image by its number (or asks for the number), so the model must tie
/// "image j" to the j-th image. Attributes differ between the images, so no answer works without finding the right one.
/// </summary>
internal static class CoreferenceFamilies
{
    public const string Skill = "coreference";

    public static IEnumerable<TaskFamily> All()
    {
        TaskFamily colour = null!, shape = null!, find = null!;
        colour = new TaskFamily
        {
            Name = "coref_colour", Skill = Skill, Answers = Attributes.ColourNames,
            Example = "<image><image><image> What colour is the shape in image 2? Answer with one word.",
            Generate = ctx =>
            {
                int n = ctx.Rng.Range(2, 4), j = ctx.Rng.Next(n);
                var colours = ctx.Rng.Distinct(4, n).Select(i => Attributes.Colours[i]).ToArray();
                var scenes = colours.Select((c, i) => SceneLayout.Single(c, ctx.Pairs.ShapeFor(c, focal: i == j), ctx.ImageSize, ctx.Rng)).ToArray();
                return colour.Make(ctx, $"What colour is the shape in image {j + 1}? Answer with one word.", Attributes.Name(colours[j]), Attributes.ColourNames, scenes);
            },
        };
        shape = new TaskFamily
        {
            Name = "coref_shape", Skill = Skill, Answers = Attributes.ShapeNames,
            Example = "<image><image><image> What shape is in image 3? Answer with one word.",
            Generate = ctx =>
            {
                int n = ctx.Rng.Range(2, 4), j = ctx.Rng.Next(n);
                var shapes = ctx.Rng.Distinct(4, n).Select(i => Attributes.Shapes[i]).ToArray();
                var scenes = shapes.Select((s, i) => SceneLayout.Single(ctx.Pairs.ColourFor(s, focal: i == j), s, ctx.ImageSize, ctx.Rng)).ToArray();
                return shape.Make(ctx, $"What shape is in image {j + 1}? Answer with one word.", Attributes.Name(shapes[j]), Attributes.ShapeNames, scenes);
            },
        };
        find = new TaskFamily
        {
            Name = "coref_find", Skill = Skill, Answers = FamilyContext.Numbers(4),
            Example = "<image><image><image> Which image shows the blue shape? Answer with the image number.",
            Generate = ctx =>
            {
                int n = ctx.Rng.Range(2, 4), j = ctx.Rng.Next(n);
                var colours = ctx.Rng.Distinct(4, n).Select(i => Attributes.Colours[i]).ToArray();
                var scenes = colours.Select((c, i) => SceneLayout.Single(c, ctx.Pairs.ShapeFor(c, focal: i == j), ctx.ImageSize, ctx.Rng)).ToArray();
                return find.Make(ctx, $"Which image shows the {Attributes.Name(colours[j])} shape? Answer with the image number.",
                    (j + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), FamilyContext.Numbers(n), scenes);
            },
        };
        return new[] { colour, shape, find };
    }
}
