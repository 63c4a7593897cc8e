using System.Text;
using MantisNative.IO;
using NUnit.Framework;

namespace MantisNative.Tests.IO;

/// <summary>
/// Crafted bad files: each must fail at open with a MantisException that names the file (and the tensor where
/// one is at fault), never with an out-of-range read.
/// </summary>
public class SafetensorsValidationTests
{
    private string _dir = "";

    [SetUp] public void SetUp() => _dir = TestFiles.Scratch();
    [TearDown] public void TearDown() => TestFiles.Cleanup(_dir);

    private string Write(byte[] bytes, string name = "bad.safetensors")
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private MantisException Fails(byte[] bytes)
    {
        string path = Write(bytes);
        var e = Assert.Throws<MantisException>(() => SafetensorsFile.Open(path).Dispose())!;
        Assert.That(e.Message, Does.Contain(path), "message names the file");
        TestContext.Out.WriteLine(e.Message.Replace(path, "<file>"));
        return e;
    }

    private const string Good = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},\"b\":{\"dtype\":\"BF16\",\"shape\":[4],\"data_offsets\":[24,32]}}";

    [Test]
    public void WellFormedCraftedFileOpens()
    {
        using var f = SafetensorsFile.Open(Write(TestFiles.Craft(Good, 32)));
        Assert.That(f.Names, Is.EquivalentTo(new[] { "a", "b" }));
        Assert.That(f.GetInfo("b").Shape, Is.EqualTo(new long[] { 4 }));
        Assert.That(f.GetBytes("a").Length, Is.EqualTo(24));
    }

    [Test]
    public void EmptyAndTinyFiles()
    {
        Assert.That(Fails([]).Message, Does.Contain("too short"));
        Assert.That(Fails([1, 0, 0]).Message, Does.Contain("too short"));
    }

    [Test]
    public void TruncatedData()
    {
        var bytes = TestFiles.Craft(Good, 32);
        var e = Fails(bytes[..^5]);
        Assert.That(e.Message, Does.Contain("'b'").And.Contain("truncated"));
    }

    [Test]
    public void TruncatedFixture()
    {
        var bytes = File.ReadAllBytes(TestFiles.Fixture("tiny-siglip-llama", "model.safetensors"));
        var e = Fails(bytes[..(bytes.Length / 2)]);
        Assert.That(e.Message, Does.Contain("tensor '"));
    }

    [Test]
    public void HeaderLengthLargerThanFile()
    {
        var e = Fails(TestFiles.Craft(Good, 32, lengthOverride: 10_000));
        Assert.That(e.Message, Does.Contain("header length 10000"));
    }

    [Test]
    public void HugeHeaderLength()
    {
        var e = Fails(TestFiles.Craft(Good, 32, lengthOverride: 1UL << 62));
        Assert.That(e.Message, Does.Contain("limit"));
        Fails(TestFiles.Craft(Good, 32, lengthOverride: ulong.MaxValue));
    }

    [Test]
    public void NonJsonHeader()
    {
        Assert.That(Fails(TestFiles.Craft("{\"a\": [1, 2", 0)).Message, Does.Contain("not valid JSON"));
        Assert.That(Fails(TestFiles.Craft("hello world", 0)).Message, Does.Contain("'{'"));
        Assert.That(Fails(TestFiles.Craft("{}[]", 0)).Message, Does.Contain("not valid JSON"));
        Assert.That(Fails(TestFiles.Craft([(byte)'{', 0xFF, 0xFE, (byte)'}'], [])).Message, Does.Contain("UTF-8"));
    }

    [Test]
    public void EntryNotAnObject()
    {
        Assert.That(Fails(TestFiles.Craft("{\"a\": 5}", 0)).Message, Does.Contain("'a'"));
        Assert.That(Fails(TestFiles.Craft("{\"a\": {\"dtype\":\"F32\",\"shape\":[1]}}", 4)).Message, Does.Contain("'a'").And.Contain("data_offsets"));
        Assert.That(Fails(TestFiles.Craft("{\"a\": {\"shape\":[1],\"data_offsets\":[0,4]}}", 4)).Message, Does.Contain("'a'").And.Contain("dtype"));
    }

    [Test]
    public void UnknownDtype()
    {
        var e = Fails(TestFiles.Craft("{\"w\":{\"dtype\":\"F99\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4));
        Assert.That(e.Message, Does.Contain("'w'").And.Contain("F99"));
        var e2 = Fails(TestFiles.Craft("{\"w\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8));
        Assert.That(e2.Message, Does.Contain("'w'").And.Contain("not supported"));
    }

    [Test]
    public void ShapeLengthMismatch()
    {
        var e = Fails(TestFiles.Craft("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,20]}}", 20));
        Assert.That(e.Message, Does.Contain("'w'").And.Contain("24 bytes"));
    }

    [Test]
    public void OverflowingShape()
    {
        var e = Fails(TestFiles.Craft("{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,4]}}", 4));
        Assert.That(e.Message, Does.Contain("'w'"));
        var e2 = Fails(TestFiles.Craft("{\"w\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904],\"data_offsets\":[0,4]}}", 4));
        Assert.That(e2.Message, Does.Contain("'w'").And.Contain("too large"));
    }

    [Test]
    public void OverlappingOffsets()
    {
        var e = Fails(TestFiles.Craft("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12));
        Assert.That(e.Message, Does.Contain("overlap").And.Contain("'a'").And.Contain("'b'"));
    }

    [Test]
    public void HoleBetweenTensors()
    {
        var e = Fails(TestFiles.Craft("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", 12));
        Assert.That(e.Message, Does.Contain("hole").And.Contain("'b'"));
        var e2 = Fails(TestFiles.Craft("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8));
        Assert.That(e2.Message, Does.Contain("hole").And.Contain("'a'"));
    }

    [Test]
    public void BytesAfterLastTensor()
    {
        var e = Fails(TestFiles.Craft("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 12));
        Assert.That(e.Message, Does.Contain("8 bytes follow").And.Contain("'a'"));
    }

    [Test]
    public void OffsetsOutsideFile()
    {
        var e = Fails(TestFiles.Craft("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 4));
        Assert.That(e.Message, Does.Contain("'a'").And.Contain("past the end"));
        var e2 = Fails(TestFiles.Craft("{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[9223372036854775806,9223372036854775807]}}", 4));
        Assert.That(e2.Message, Does.Contain("'a'"));
    }

    [Test]
    public void BadOffsets()
    {
        Assert.That(Fails(TestFiles.Craft("{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,0]}}", 4)).Message, Does.Contain("'a'").And.Contain("end before"));
        Assert.That(Fails(TestFiles.Craft("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", 4)).Message, Does.Contain("'a'"));
        Assert.That(Fails(TestFiles.Craft("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 4)).Message, Does.Contain("'a'"));
        Assert.That(Fails(TestFiles.Craft("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0.0,4.0]}}", 4)).Message, Does.Contain("'a'"));
        Assert.That(Fails(TestFiles.Craft("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,18446744073709551616]}}", 4)).Message, Does.Contain("'a'"));
    }

    [Test]
    public void NegativeOrNonIntegerShape()
    {
        Assert.That(Fails(TestFiles.Craft("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4)).Message, Does.Contain("'a'").And.Contain("non-negative"));
        Assert.That(Fails(TestFiles.Craft("{\"a\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", 4)).Message, Does.Contain("'a'"));
        Assert.That(Fails(TestFiles.Craft("{\"a\":{\"dtype\":\"F32\",\"shape\":[\"1\"],\"data_offsets\":[0,4]}}", 4)).Message, Does.Contain("'a'"));
        Assert.That(Fails(TestFiles.Craft("{\"a\":{\"dtype\":\"F32\",\"shape\":3,\"data_offsets\":[0,4]}}", 4)).Message, Does.Contain("'a'"));
    }

    [Test]
    public void DuplicateNames()
    {
        var e = Fails(TestFiles.Craft("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8));
        Assert.That(e.Message, Does.Contain("'a'").And.Contain("twice"));
    }

    [Test]
    public void BadMetadata()
    {
        Assert.That(Fails(TestFiles.Craft("{\"__metadata__\":{\"format\":1}}", 0)).Message, Does.Contain("format"));
        Assert.That(Fails(TestFiles.Craft("{\"__metadata__\":[1]}", 0)).Message, Does.Contain("__metadata__"));
    }

    [Test]
    public void ZeroSizeAndScalarTensorsAndPaddedHeader()
    {
        string header = "{\"__metadata__\":{\"k\":\"v\"},\"e\":{\"dtype\":\"F32\",\"shape\":[0,3],\"data_offsets\":[0,0]},\"s\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[0,8]}}";
        var data = BitConverter.GetBytes(42L);
        using var f = SafetensorsFile.Open(Write(TestFiles.Craft(Encoding.UTF8.GetBytes(header + "      "), data)));
        Assert.That(f.ReadInt64("s"), Is.EqualTo(new long[] { 42 }));
        Assert.That(f.GetInfo("e").ElementCount, Is.Zero);
        Assert.That(f.GetBytes("e").Length, Is.Zero);
        Assert.That(f.Metadata["k"], Is.EqualTo("v"));
    }

    [Test]
    public void HeaderOnlyFile()
    {
        using var f = SafetensorsFile.Open(Write(TestFiles.Craft("{}", 0)));
        Assert.That(f.Names, Is.Empty);
        var e = Fails(TestFiles.Craft("{}", 8));
        Assert.That(e.Message, Does.Contain("no tensors"));
    }

    [Test]
    public void MissingFile()
    {
        var e = Assert.Throws<MantisException>(() => SafetensorsFile.Open(Path.Combine(_dir, "absent.safetensors")))!;
        Assert.That(e.Message, Does.Contain("absent.safetensors").And.Contain("not found"));
    }
}
