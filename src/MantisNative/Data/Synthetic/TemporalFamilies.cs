namespace MantisNative.Data.Synthetic;

/// <summary>
/// Temporal: frames of one object moving in a straight line. Direction needs the frames in order;
/// first/last frame shuffle them and name the direction, so the model must order frames by position.
/// </summary>
internal static class TemporalFamilies
{
    public const string Skill = "temporal";
    private static readonly Direction[] Directions = { Direction.Left, Direction.Right, Direction.Up, Direction.Down };
    public static readonly string[] DirectionNames = { "left", "right", "up", "down" };

    private static string Name(Direction d) => DirectionNames[(int)d];

    public static IEnumerable<TaskFamily> All()
    {
        TaskFamily direction = null!, first = null!, last = null!;
        direction = new TaskFamily
        {
            Name = "temporal_direction", Skill = Skill, Answers = DirectionNames,
            Example = "<image><image><image><image> These are the frames of a video, in order. Which way does the object move? Answer left, right, up or down.",
            Generate = ctx =>
            {
                var d = ctx.Rng.Pick(Directions);
                var (c, s) = ctx.Pairs.Pair(focal: true);
                var frames = SceneLayout.Motion(c, s, d, 4, ctx.ImageSize, ctx.Rng);
                return direction.Make(ctx, "These are the frames of a video, in order. Which way does the object move? Answer left, right, up or down.",
                    Name(d), DirectionNames, frames);
            },
        };
        first = Shuffled("temporal_first", "first");
        last = Shuffled("temporal_last", "last");
        return new[] { direction, first, last };
    }

    /// <summary>Shuffled frames; the answer is the image number of the first (or last) frame.</summary>
    private static TaskFamily Shuffled(string name, string which)
    {
        TaskFamily family = null!;
        family = new TaskFamily
        {
            Name = name, Skill = Skill, Answers = FamilyContext.Numbers(4),
            Example = $"<image><image><image><image> These frames of an object moving right are shuffled. Which image is the {which} frame? Answer with the image number.",
            Generate = ctx =>
            {
                var d = ctx.Rng.Pick(Directions);
                var (c, s) = ctx.Pairs.Pair(focal: true);
                int n = ctx.Rng.Range(3, 4);
                var frames = SceneLayout.Motion(c, s, d, n, ctx.ImageSize, ctx.Rng);
                var order = Enumerable.Range(0, n).ToArray();
                ctx.Rng.Shuffle(order); // image i shows frame order[i]
                int target = which == "first" ? 0 : n - 1;
                int answer = Array.IndexOf(order, target) + 1;
                var shown = order.Select(f => frames[f]).ToArray();
                return family.Make(ctx, $"These frames of an object moving {Name(d)} are shuffled. Which image is the {which} frame? Answer with the image number.",
                    answer.ToString(System.Globalization.CultureInfo.InvariantCulture), FamilyContext.Numbers(n), shown);
            },
        };
        return family;
    }
}
