namespace MantisNative.Data.Synthetic;

/// <summary>
/// Which (colour, shape) pairs each split may draw.
///
/// Held out: one shape per colour and one colour per shape (a Latin diagonal: red circle, green square,
/// blue triangle, yellow cross). So in training every colour appears with exactly three shapes and every shape
/// with exactly three colours, all equally often: neither attribute predicts the other beyond "not the one
/// withheld partner", and the marginals stay uniform. (A design where colour predicts shape lets a model answer
/// shape questions from colour, and it then scores below chance on the held-out pairs.)
///
/// Train draws only allowed pairs. Held-out examples put a withheld pair on the *focal* object, the one the
/// question is about, and allowed pairs everywhere else: the novelty is exactly where the answer depends on it.
/// </summary>
public sealed class PairSampler
{
    private readonly SplitKind _split;
    private readonly DeterministicRng _rng;

    public PairSampler(SplitKind split, DeterministicRng rng)
    {
        _split = split;
        _rng = rng;
    }

    public static ShapeKind WithheldShape(ColourKind c) => (ShapeKind)(int)c;
    public static ColourKind WithheldColour(ShapeKind s) => (ColourKind)(int)s;
    public static bool IsWithheld(ColourKind c, ShapeKind s) => WithheldShape(c) == s;

    public static IEnumerable<(ColourKind Colour, ShapeKind Shape)> WithheldPairs =>
        Attributes.Colours.Select(c => (c, WithheldShape(c)));

    private bool Novel(bool focal) => focal && _split == SplitKind.HeldOut;

    public (ColourKind Colour, ShapeKind Shape) Pair(bool focal)
    {
        var c = _rng.Pick(Attributes.Colours);
        return (c, ShapeFor(c, focal));
    }

    public ShapeKind ShapeFor(ColourKind c, bool focal)
    {
        if (Novel(focal)) return WithheldShape(c);
        var allowed = Attributes.Shapes.Where(s => !IsWithheld(c, s)).ToArray();
        return _rng.Pick(allowed);
    }

    public ColourKind ColourFor(ShapeKind s, bool focal)
    {
        if (Novel(focal)) return WithheldColour(s);
        var allowed = Attributes.Colours.Where(c => !IsWithheld(c, s)).ToArray();
        return _rng.Pick(allowed);
    }

    /// <summary>Whether a pair may be used in a question's text or a non-focal object of this split.</summary>
    public bool Allowed(ColourKind c, ShapeKind s) => _split == SplitKind.HeldOut || !IsWithheld(c, s);
}
