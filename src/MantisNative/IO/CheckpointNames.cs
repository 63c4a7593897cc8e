namespace MantisNative.IO;

/// <summary>
/// Llava tensor names. Our modules use the legacy names of the released Mantis checkpoints
/// (<c>language_model.model.*</c>, <c>vision_tower.*</c>, <c>multi_modal_projector.*</c>, <c>language_model.lm_head.*</c>);
/// transformers 4.52 and later save <c>model.language_model.*</c>, <c>model.vision_tower.*</c>,
/// <c>model.multi_modal_projector.*</c>, <c>lm_head.*</c>. This maps between them.
/// </summary>
public static class CheckpointNames
{
    // (new-style prefix, legacy prefix); longest-first does not matter as no prefix is a prefix of another.
    private static readonly (string New, string Legacy)[] Prefixes =
    [
        ("model.language_model.", "language_model.model."),
        ("model.vision_tower.", "vision_tower."),
        ("model.multi_modal_projector.", "multi_modal_projector."),
        ("lm_head.", "language_model.lm_head."),
    ];

    /// <summary>The legacy (canonical) name of <paramref name="name"/>; legacy and unrelated names come back unchanged.</summary>
    public static string ToLegacy(string name)
    {
        foreach (var (n, l) in Prefixes)
            if (name.StartsWith(n, StringComparison.Ordinal)) return l + name[n.Length..];
        return name;
    }

    /// <summary>The transformers>=4.52 name of a legacy name; other names come back unchanged.</summary>
    public static string ToNewStyle(string name)
    {
        foreach (var (n, l) in Prefixes)
            if (name.StartsWith(l, StringComparison.Ordinal)) return n + name[l.Length..];
        return name;
    }

    /// <summary>True when the name uses the transformers>=4.52 layout.</summary>
    public static bool IsNewStyle(string name) => Prefixes.Any(p => name.StartsWith(p.New, StringComparison.Ordinal));
}
