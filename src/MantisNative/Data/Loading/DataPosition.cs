namespace MantisNative.Data.Loading;

/// <summary>Where a loader is in its stream: the epoch and the number of examples of it already handed out.</summary>
public readonly record struct DataPosition(int Epoch, int Offset);
