namespace MantisNative.Data.Synthetic;

/// <summary>One drawn object: centre and size (side of its bounding box), in whole pixels.</summary>
public readonly record struct SceneObject(int X, int Y, int Size);

/// <summary>
/// What one image shows: objects that share one colour and one shape (so "how many shapes" and
/// "what colour is the shape" are never ambiguous), on a light background.
/// </summary>
public sealed record Scene(ColourKind Colour, ShapeKind Shape, IReadOnlyList<SceneObject> Objects)
{
    public int Count => Objects.Count;
}

/// <summary>Layouts at the set's image size: one big object, a 2x2 grid of small ones, or a frame of a moving object.</summary>
public static class SceneLayout
{
    /// <summary>One object, 45-60 % of the image, anywhere it fits.</summary>
    public static Scene Single(ColourKind c, ShapeKind s, int imageSize, DeterministicRng rng)
    {
        int size = rng.Range(imageSize * 45 / 100, imageSize * 60 / 100);
        int margin = size / 2 + 2;
        return new Scene(c, s, new[] { new SceneObject(rng.Range(margin, imageSize - margin), rng.Range(margin, imageSize - margin), size) });
    }

    /// <summary>
    /// k objects (1-4) in distinct cells of a 2x2 grid, jittered inside their cell, so they never touch and can be counted.
    /// Objects have the same size whatever k is, so size gives no hint of the count.
    /// </summary>
    public static Scene Grid(ColourKind c, ShapeKind s, int count, int imageSize, DeterministicRng rng)
    {
        int cell = imageSize / 2;
        int size = rng.Range(cell * 55 / 100, cell * 70 / 100);
        int slack = Math.Max(0, (cell - size) / 2 - 1);
        var cells = rng.Distinct(4, count);
        Array.Sort(cells); // object order does not matter; sorted keeps the metadata tidy
        var objs = cells.Select(k => new SceneObject(
            (k % 2) * cell + cell / 2 + rng.Range(-slack, slack),
            (k / 2) * cell + cell / 2 + rng.Range(-slack, slack),
            size)).ToArray();
        return new Scene(c, s, objs);
    }

    /// <summary>Frames of one object moving in a straight line: positions along the direction, the other coordinate fixed.</summary>
    public static Scene[] Motion(ColourKind c, ShapeKind s, Direction dir, int frames, int imageSize, DeterministicRng rng)
    {
        int size = imageSize * 35 / 100;
        int lo = size / 2 + 1, hi = imageSize - size / 2 - 1;
        int step = Math.Min(rng.Range(imageSize * 16 / 100, imageSize * 19 / 100), (hi - lo) / (frames - 1));
        int span = step * (frames - 1);
        int start = rng.Range(lo, hi - span);
        int across = rng.Range(lo, hi);
        var scenes = new Scene[frames];
        for (int f = 0; f < frames; f++)
        {
            int along = dir is Direction.Right or Direction.Down ? start + f * step : start + span - f * step;
            var o = dir is Direction.Left or Direction.Right ? new SceneObject(along, across, size) : new SceneObject(across, along, size);
            scenes[f] = new Scene(c, s, new[] { o });
        }
        return scenes;
    }
}

public enum Direction { Left, Right, Up, Down }
