namespace MantisNative.IO;

/// <summary>
/// Read-only access to named tensors whose raw little-endian bytes stay where they are (a memory-mapped file,
/// a set of shards). Typed reads (floats, ints) are extension methods in <see cref="TensorSourceExtensions"/>.
/// </summary>
public interface ITensorSource : IDisposable
{
    /// <summary>The file or folder the tensors come from, for messages.</summary>
    string Location { get; }

    /// <summary>All tensor names.</summary>
    IReadOnlyCollection<string> Names { get; }

    bool Contains(string name);

    bool TryGetInfo(string name, out TensorInfo info);

    /// <summary>The tensor's entry; a <see cref="MantisException"/> naming the tensor and the source when absent.</summary>
    TensorInfo GetInfo(string name);

    /// <summary>The tensor's raw bytes. A tensor above 2 GiB cannot be a span: use <see cref="GetPointer"/>.</summary>
    ReadOnlySpan<byte> GetBytes(string name);

    /// <summary>
    /// Pointer to the tensor's first byte, valid until the source is disposed. The memory is read-only:
    /// writing through it crashes the process.
    /// </summary>
    unsafe byte* GetPointer(string name);
}
