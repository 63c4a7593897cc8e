using System.Buffers.Binary;
using System.Text;
using NUnit.Framework;

namespace MantisNative.Tests.IO;

/// <summary>Paths to the copied fixtures and a scratch folder per test, plus a crafter of raw safetensors bytes.</summary>
internal static class TestFiles
{
    public static string Fixture(string model, string file) =>
        Path.Combine(TestContext.CurrentContext.TestDirectory, "fixtures", model, file);

    /// <summary>A fresh empty folder for the current test (removed by <see cref="Cleanup"/>).</summary>
    public static string Scratch()
    {
        string dir = Path.Combine(Path.GetTempPath(), "mantis-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    public static void Cleanup(string dir)
    {
        try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
    }

    /// <summary>8-byte length (the header's real length unless overridden), header, data.</summary>
    public static byte[] Craft(string headerJson, int dataBytes, ulong? lengthOverride = null)
    {
        var header = Encoding.UTF8.GetBytes(headerJson);
        return Craft(header, new byte[dataBytes], lengthOverride);
    }

    public static byte[] Craft(byte[] header, byte[] data, ulong? lengthOverride = null)
    {
        var result = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(result, lengthOverride ?? (ulong)header.Length);
        header.CopyTo(result, 8);
        data.CopyTo(result, 8 + header.Length);
        return result;
    }
}
