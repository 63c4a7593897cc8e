namespace MantisNative.Inference;

/// <summary>Decoding settings. Temperature 0 means greedy; top-p 1 keeps the whole distribution.</summary>
public sealed record GenerationOptions
{
    public int MaxNewTokens { get; init; } = 64;
    public float Temperature { get; init; }
    public float TopP { get; init; } = 1f;
    public ulong Seed { get; init; }
    /// <summary>Generation stops after emitting any of these (it is still returned).</summary>
    public IReadOnlyCollection<int> StopIds { get; init; } = Array.Empty<int>();
}
