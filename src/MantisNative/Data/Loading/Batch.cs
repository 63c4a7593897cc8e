using MantisNative.Tensors;

namespace MantisNative.Data.Loading;

/// <summary>
/// A padded batch: ids/labels/mask [Size * Length] row-major (right padding: pad id, label -100, mask false),
/// and every image of every example in order as one pixel tensor [N, 3, H, W] (null when there is none).
/// </summary>
public sealed class Batch : IDisposable
{
    public required int Size { get; init; }
    public required int Length { get; init; }
    public required int[] InputIds { get; init; }
    public required int[] Labels { get; init; }
    public required bool[] AttentionMask { get; init; }
    public required Tensor? Pixels { get; init; }
    public required IReadOnlyList<TrainingExample> Examples { get; init; }

    public int ImageCount => Pixels?.Dim(0) ?? 0;
    /// <summary>Label tokens that count in the loss (after the one-token shift).</summary>
    public int SupervisedTokens => Labels.Where((l, i) => l != -100 && i % Length != 0).Count();

    public void Dispose() => Pixels?.Dispose();
}
