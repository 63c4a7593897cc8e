using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;

namespace MantisNative.IO;

/// <summary>
/// A safetensors file opened read-only and memory-mapped: the header is read and validated first, then the file
/// is mapped, and a tensor's bytes are only touched (paged in by the OS) when someone reads them. So an 8B
/// checkpoint never needs to sit in memory twice.
/// </summary>
public sealed unsafe class SafetensorsFile : ITensorSource
{
    private readonly MemoryMappedFile? _map;
    private readonly MemoryMappedViewAccessor? _view;
    private byte* _base; // start of the file in the mapping; null once disposed
    private readonly long _dataStart;

    private SafetensorsFile(string path, SafetensorsHeader header, long dataStart, MemoryMappedFile? map, MemoryMappedViewAccessor? view, byte* fileBase)
    {
        Path = path;
        Header = header;
        _dataStart = dataStart;
        _map = map;
        _view = view;
        _base = fileBase;
    }

    /// <summary>Opens and validates <paramref name="path"/>; a bad file gives a <see cref="MantisException"/> naming it.</summary>
    public static SafetensorsFile Open(string path)
    {
        InputFile.EnsureRegular(path, "safetensors");
        if (!BitConverter.IsLittleEndian)
            throw new MantisException($"{path}: safetensors data is little-endian and this machine is not");
        FileStream? fs = null;
        MemoryMappedFile? map = null;
        MemoryMappedViewAccessor? view = null;
        try
        {
            fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.None);
            long fileLength = fs.Length;
            if (fileLength < 8)
                throw new MantisException($"{path}: file is {fileLength} bytes, too short for a safetensors file (8-byte header length missing)");
            Span<byte> prefix = stackalloc byte[8];
            fs.ReadExactly(prefix);
            long n = SafetensorsHeader.CheckHeaderLength(BinaryPrimitives.ReadUInt64LittleEndian(prefix), fileLength, path);
            var json = new byte[n];
            fs.ReadExactly(json);
            long dataStart = 8 + n;
            var header = SafetensorsHeader.Parse(json, fileLength - dataStart, path);

            // Map the very file we validated (same handle), and only when there is data: mapping zero bytes is an error.
            byte* p = null;
            if (header.DataLength > 0)
            {
                map = MemoryMappedFile.CreateFromFile(fs, mapName: null, fileLength, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
                fs = null; // the map owns it now
                view = map.CreateViewAccessor(0, fileLength, MemoryMappedFileAccess.Read);
                view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
                p += view.PointerOffset;
            }
            fs?.Dispose();
            return new SafetensorsFile(path, header, dataStart, map, view, p);
        }
        catch (Exception e)
        {
            view?.Dispose();
            map?.Dispose();
            fs?.Dispose();
            // ArgumentException: the file changed size between validation and mapping.
            if (e is IOException or UnauthorizedAccessException or ArgumentException)
                throw new MantisException($"{path}: cannot read safetensors file: {e.Message}", e);
            throw;
        }
    }

    public string Path { get; }
    public string Location => Path;
    public SafetensorsHeader Header { get; }
    public IReadOnlyDictionary<string, string> Metadata => Header.Metadata;

    /// <summary>The tensors in data order.</summary>
    public IReadOnlyList<TensorInfo> Tensors => Header.Tensors;

    public IReadOnlyCollection<string> Names => (IReadOnlyCollection<string>)Header.ByName.Keys;

    /// <summary>File offset of the data region (8 + header length).</summary>
    public long DataStart => _dataStart;

    public bool Contains(string name) => Header.TryGet(name, out _);

    public bool TryGetInfo(string name, out TensorInfo info) => Header.TryGet(name, out info);

    public TensorInfo GetInfo(string name)
    {
        if (Header.TryGet(name, out var info)) return info;
        throw new MantisException($"{Path}: no tensor named '{name}'");
    }

    public ReadOnlySpan<byte> GetBytes(string name) => GetBytes(GetInfo(name));

    /// <summary>The bytes of a tensor of this file (an entry of <see cref="Tensors"/>).</summary>
    public ReadOnlySpan<byte> GetBytes(TensorInfo info)
    {
        if (info.ByteLength > int.MaxValue)
            throw new MantisException($"{Path}: tensor '{info.Name}' is {info.ByteLength} bytes, too large for one span; read it through GetPointer or in chunks");
        return new ReadOnlySpan<byte>(PointerTo(info), (int)info.ByteLength);
    }

    public byte* GetPointer(string name) => PointerTo(GetInfo(name));

    private byte* PointerTo(TensorInfo info)
    {
        ObjectDisposedException.ThrowIf(_base == null && _map != null, this);
        if (!ReferenceEquals(Header.ByName.GetValueOrDefault(info.Name), info))
            throw new ArgumentException($"tensor '{info.Name}' is not an entry of {Path}", nameof(info));
        if (info.ByteLength == 0) return _base; // may be null for a file without data; nothing may be read anyway
        return _base + _dataStart + info.DataOffset;
    }

    public void Dispose()
    {
        if (_view != null && _base != null)
        {
            _base = null;
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
            _map!.Dispose();
        }
    }
}
