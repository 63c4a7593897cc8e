namespace MantisNative.Data.Synthetic;

/// <summary>Size and seed of a generated skills set. Defaults take well under 30 s on two cores.</summary>
public sealed class SyntheticOptions
{
    public int Train { get; init; } = 20000;
    /// <summary>100 per family with the 15 families: enough for per-family accuracy within about +-5 points.</summary>
    public int HeldOut { get; init; } = 1500;
    public ulong Seed { get; init; } = 1234;
    /// <summary>32 matches the tiny model (patch 8: 4x4 patches per image).</summary>
    public int ImageSize { get; init; } = 32;
    /// <summary>Replace an existing non-empty output folder.</summary>
    public bool Force { get; init; }

    public void Validate()
    {
        if (Train < 0) throw new MantisException($"make-data: --train-examples must be 0 or more, got {Train}");
        if (HeldOut < 0) throw new MantisException($"make-data: --heldout-examples must be 0 or more, got {HeldOut}");
        if (Train + HeldOut == 0) throw new MantisException("make-data: --train-examples and --heldout-examples are both 0: nothing to make");
        if (ImageSize is < 16 or > 1024) throw new MantisException($"make-data: --image-size must be between 16 and 1024, got {ImageSize}");
    }
}
