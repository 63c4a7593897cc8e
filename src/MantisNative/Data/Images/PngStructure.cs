using System.Buffers.Binary;

namespace MantisNative.Data.Images;

/// <summary>
/// Checks a PNG's chunk structure before decoding: Skia reports a bad header field or a CRC mismatch as
/// "incomplete input", which would send the user looking for a truncated download. Pillow also refuses a
/// chunk whose CRC does not match, so refusing here accepts nothing less than PIL does.
/// </summary>
internal static class PngStructure
{
    private static ReadOnlySpan<byte> Signature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];
    private static readonly uint[] CrcTable = BuildCrcTable();

    public static bool IsPng(ReadOnlySpan<byte> data) => data.StartsWith(Signature);

    /// <summary>Null when the structure is sound, else what is wrong (with the byte offset).</summary>
    public static string? Problem(ReadOnlySpan<byte> data)
    {
        int pos = Signature.Length;
        bool first = true;
        while (true)
        {
            if (pos + 12 > data.Length) return first ? "the file is truncated (no IHDR chunk)" : "the file is truncated (no IEND chunk)";
            uint length = BinaryPrimitives.ReadUInt32BigEndian(data[pos..]);
            var type = data.Slice(pos + 4, 4);
            string name = System.Text.Encoding.ASCII.GetString(type);
            if (length > int.MaxValue || pos + 12 + (long)length > data.Length)
                return $"the file is truncated (chunk {name} at byte {pos} needs {length} bytes)";
            var body = data.Slice(pos + 8, (int)length);
            uint stored = BinaryPrimitives.ReadUInt32BigEndian(data[(pos + 8 + (int)length)..]);
            if (Crc(data.Slice(pos + 4, 4 + (int)length)) != stored)
                return $"chunk {name} at byte {pos} has a bad CRC (the file is corrupt)";
            if (first)
            {
                if (name != "IHDR") return $"the first chunk is {name}, not IHDR";
                if (HeaderProblem(body) is { } p) return p;
                first = false;
            }
            if (name == "IEND") return null;
            pos += 12 + (int)length;
        }
    }

    private static string? HeaderProblem(ReadOnlySpan<byte> ihdr)
    {
        if (ihdr.Length != 13) return $"IHDR is {ihdr.Length} bytes, not 13";
        byte depth = ihdr[8], colour = ihdr[9];
        int[]? allowed = colour switch
        {
            0 => [1, 2, 4, 8, 16],   // grayscale
            2 => [8, 16],            // RGB
            3 => [1, 2, 4, 8],       // palette
            4 => [8, 16],            // grayscale + alpha
            6 => [8, 16],            // RGBA
            _ => null,
        };
        if (allowed is null) return $"IHDR colour type {colour} is not a PNG colour type (0, 2, 3, 4, 6)";
        if (Array.IndexOf(allowed, depth) < 0) return $"IHDR bit depth {depth} is invalid for colour type {colour} (allowed: {string.Join(", ", allowed)})";
        if (ihdr[10] != 0) return $"IHDR compression method {ihdr[10]} is not 0";
        if (ihdr[11] != 0) return $"IHDR filter method {ihdr[11]} is not 0";
        if (ihdr[12] > 1) return $"IHDR interlace method {ihdr[12]} is not 0 or 1";
        return null;
    }

    private static uint Crc(ReadOnlySpan<byte> bytes)
    {
        uint c = 0xFFFFFFFF;
        foreach (byte b in bytes) c = CrcTable[(c ^ b) & 0xFF] ^ (c >> 8);
        return c ^ 0xFFFFFFFF;
    }

    private static uint[] BuildCrcTable()
    {
        var t = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
            t[n] = c;
        }
        return t;
    }
}
