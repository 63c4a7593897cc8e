using System.Buffers.Binary;
using System.Text.Json;
using MantisNative.Tensors;

namespace MantisNative.Tests.Data.Images;

/// <summary>
/// A minimal safetensors reader for the image tests (F32, F16 and U8, all returned as float): 8-byte little-endian header length,
/// JSON header {name: {dtype, shape, data_offsets}}, then the data. The library's real reader is elsewhere.
/// </summary>
internal static class TestSafetensors
{
    public sealed record Tensor(string DType, int[] Shape, float[] Data);

    public static Dictionary<string, Tensor> Read(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        long n = BinaryPrimitives.ReadInt64LittleEndian(bytes);
        int dataStart = checked(8 + (int)n);
        using var doc = JsonDocument.Parse(bytes.AsMemory(8, (int)n));
        var result = new Dictionary<string, Tensor>();
        foreach (var p in doc.RootElement.EnumerateObject())
        {
            if (p.Name == "__metadata__") continue;
            string dtype = p.Value.GetProperty("dtype").GetString()!;
            int[] shape = p.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            var offs = p.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            var raw = bytes.AsSpan(dataStart + offs[0], offs[1] - offs[0]);
            float[] data = dtype switch
            {
                "F32" => ReadF32(raw),
                "F16" => ReadF16(raw),
                "U8" => raw.ToArray().Select(b => (float)b).ToArray(),
                _ => throw new NotSupportedException($"test reader: dtype {dtype} of {p.Name}"),
            };
            result[p.Name] = new Tensor(dtype, shape, data);
        }
        return result;
    }

    private static float[] ReadF32(ReadOnlySpan<byte> raw)
    {
        var r = new float[raw.Length / 4];
        for (int i = 0; i < r.Length; i++) r[i] = BinaryPrimitives.ReadSingleLittleEndian(raw.Slice(i * 4, 4));
        return r;
    }

    private static float[] ReadF16(ReadOnlySpan<byte> raw)
    {
        var r = new float[raw.Length / 2];
        for (int i = 0; i < r.Length; i++) r[i] = FloatConversion.FromFloat16(BinaryPrimitives.ReadUInt16LittleEndian(raw.Slice(i * 2, 2)));
        return r;
    }
}
