using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using MantisNative.IO;
using MantisNative.Tensors;
using NUnit.Framework;

namespace MantisNative.Tests.IO;

public class SafetensorsWriterTests
{
    private string _dir = "";

    [SetUp] public void SetUp() => _dir = TestFiles.Scratch();
    [TearDown] public void TearDown() => TestFiles.Cleanup(_dir);

    private static byte[] RandomBytes(int n, int seed)
    {
        var b = new byte[n];
        new Random(seed).NextBytes(b);
        return b;
    }

    [Test]
    public void RoundTripIsBitExactForEveryDtype()
    {
        var w = new SafetensorsWriter();
        w.Metadata["format"] = "pt";
        w.Metadata["note"] = "ünïcode + <html> & \"quotes\"";
        var tensors = new (string Name, DType DType, long[] Shape)[]
        {
            ("f32", DType.F32, [3, 5]), ("bf16", DType.BF16, [7]), ("f16", DType.F16, [1, 3]),
            ("i64", DType.I64, [2, 2]), ("i32", DType.I32, [3]), ("u8", DType.U8, [5]), ("bool", DType.Bool, [2]),
            ("scalar", DType.F32, []), ("empty", DType.F32, [0, 4]), ("z.odd name+é", DType.U8, [1]),
        };
        var data = new Dictionary<string, byte[]>();
        int seed = 1;
        foreach (var (name, dt, shape) in tensors)
        {
            long n = shape.Aggregate(1L, (a, d) => a * d);
            data[name] = RandomBytes((int)(n * dt.SizeOf()), seed++);
            w.Add(name, dt, shape, data[name]);
        }
        string path = Path.Combine(_dir, "rt.safetensors");
        w.Save(path);

        using var f = SafetensorsFile.Open(path);
        Assert.That(f.Names, Is.EquivalentTo(data.Keys));
        foreach (var (name, dt, shape) in tensors)
        {
            var info = f.GetInfo(name);
            Assert.That(info.DType, Is.EqualTo(dt), name);
            Assert.That(info.Shape, Is.EqualTo(shape), name);
            Assert.That(f.GetBytes(name).ToArray(), Is.EqualTo(data[name]), name);
            // Every tensor starts aligned to its element size (relative to the file start).
            Assert.That((f.DataStart + info.DataOffset) % dt.SizeOf(), Is.Zero, name);
        }
        Assert.That(f.Metadata, Is.EquivalentTo(w.Metadata));
        Assert.That(Directory.GetFiles(_dir), Has.Length.EqualTo(1), "no temporary file left behind");
    }

    [Test]
    public void HeaderLayoutFollowsTheReferenceWriter()
    {
        var w = new SafetensorsWriter();
        w.Add("b", DType.U8, [3], new byte[3]);
        w.Add("a", DType.F32, [1], new byte[4]);
        string path = Path.Combine(_dir, "h.safetensors");
        w.Save(path);
        var bytes = File.ReadAllBytes(path);
        long n = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.That(n % 8, Is.Zero, "header padded to 8 bytes");
        string header = Encoding.UTF8.GetString(bytes, 8, (int)n);
        Assert.That(header.TrimEnd(' '), Is.EqualTo("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"U8\",\"shape\":[3],\"data_offsets\":[4,7]}}"));
        Assert.That(header.Length - header.TrimEnd(' ').Length, Is.LessThan(8));
    }

    [Test]
    public void DataOrderIsDtypeThenName()
    {
        var w = new SafetensorsWriter();
        w.Add("a_bool", DType.Bool, [1], new byte[1]);
        w.Add("b_bf16", DType.BF16, [1], new byte[2]);
        w.Add("c_f32", DType.F32, [1], new byte[4]);
        w.Add("d_i64", DType.I64, [1], new byte[8]);
        w.Add("e_f32", DType.F32, [1], new byte[4]);
        w.Add("f_u8", DType.U8, [1], new byte[1]);
        string path = Path.Combine(_dir, "o.safetensors");
        w.Save(path);
        using var f = SafetensorsFile.Open(path);
        Assert.That(f.Tensors.Select(t => t.Name), Is.EqualTo(new[] { "d_i64", "c_f32", "e_f32", "b_bf16", "f_u8", "a_bool" }));
    }

    [Test]
    public void FloatsStoredAsHalfTypesConvertBack()
    {
        var values = new[] { 0f, 1f, -2.5f, 3.140625f, 65504f, float.NegativeInfinity };
        var w = new SafetensorsWriter();
        w.AddFloat32("f32", [6], values);
        w.AddFloat32("bf16", [2, 3], values, DType.BF16);
        w.AddFloat32("f16", [6], values, DType.F16);
        w.AddInt64("ids", [3], new long[] { -100, 0, long.MaxValue });
        string path = Path.Combine(_dir, "h.safetensors");
        w.Save(path);
        using var f = SafetensorsFile.Open(path);
        Assert.That(f.ReadFloat32("f32"), Is.EqualTo(values));
        Assert.That(f.ReadFloat32("f16"), Is.EqualTo(values));
        Assert.That(f.ReadFloat32("bf16")[..5], Is.EqualTo(new[] { 0f, 1f, -2.5f, 3.140625f, 65536f }));
        Assert.That(f.GetInfo("bf16").DType, Is.EqualTo(DType.BF16));
        Assert.That(f.ReadInt64("ids"), Is.EqualTo(new long[] { -100, 0, long.MaxValue }));
        Assert.That(f.ReadFloat32("ids")[0], Is.EqualTo(-100f));
    }

    [TestCase("tiny-siglip-llama")]
    [TestCase("tiny-clip-llama")]
    public void RewritingTheFixtureKeepsEveryTensor(string model)
    {
        string src = TestFiles.Fixture(model, "model.safetensors");
        string dst = Path.Combine(_dir, "model.safetensors");
        using (var f = SafetensorsFile.Open(src))
        {
            var w = new SafetensorsWriter();
            foreach (var kv in f.Metadata) w.Metadata[kv.Key] = kv.Value;
            foreach (var name in f.Names) w.AddFrom(f, name);
            w.Save(dst);
        }
        using var a = SafetensorsFile.Open(src);
        using var b = SafetensorsFile.Open(dst);
        Assert.That(b.Names, Is.EquivalentTo(a.Names));
        Assert.That(b.Metadata, Is.EquivalentTo(a.Metadata));
        foreach (var name in a.Names)
        {
            Assert.That(b.GetInfo(name).Shape, Is.EqualTo(a.GetInfo(name).Shape), name);
            Assert.That(b.GetBytes(name).SequenceEqual(a.GetBytes(name)), Is.True, name);
        }
    }

    [Test]
    public void WritingTwiceGivesIdenticalFiles()
    {
        var w = new SafetensorsWriter();
        w.Add("x", DType.F32, [4], RandomBytes(16, 9));
        w.Add("y", DType.BF16, [3], RandomBytes(6, 10));
        string p1 = Path.Combine(_dir, "1.safetensors"), p2 = Path.Combine(_dir, "2.safetensors");
        w.Save(p1);
        w.Save(p2);
        Assert.That(File.ReadAllBytes(p2), Is.EqualTo(File.ReadAllBytes(p1)));
    }

    [Test]
    public void FailedWriteLeavesNoFileAndKeepsTheOldOne()
    {
        string path = Path.Combine(_dir, "m.safetensors");
        File.WriteAllText(path, "old");
        var w = new SafetensorsWriter();
        w.Add("x", DType.F32, [4], s => s.Write(new byte[10])); // too few bytes
        Assert.Throws<InvalidOperationException>(() => w.Save(path));
        Assert.That(File.ReadAllText(path), Is.EqualTo("old"));
        Assert.That(Directory.GetFiles(_dir), Has.Length.EqualTo(1));
    }

    [Test]
    public void BadAddsAreRefused()
    {
        var w = new SafetensorsWriter();
        Assert.Throws<ArgumentException>(() => w.Add("x", DType.F32, [4], new byte[15]));
        Assert.Throws<ArgumentException>(() => w.Add("x", DType.F32, [-1], new byte[0]));
        Assert.Throws<ArgumentException>(() => w.Add("__metadata__", DType.U8, [1], new byte[1]));
        w.Add("x", DType.U8, [1], new byte[1]);
        Assert.Throws<ArgumentException>(() => w.Add("x", DType.U8, [1], new byte[1]));
        Assert.Throws<ArgumentException>(() => w.AddFloat32("y", [2], new float[2], DType.I32));
    }

    [Test]
    public void UnalignedForeignFileReadsCorrectly()
    {
        // A header whose length is not a multiple of 8 leaves the floats unaligned; reads must still be right.
        string header = "{\"v\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        Assert.That(header.Length % 4, Is.Not.Zero);
        var data = MemoryMarshal.AsBytes(new float[] { 1.5f, -7f }.AsSpan()).ToArray();
        string path = Path.Combine(_dir, "u.safetensors");
        File.WriteAllBytes(path, TestFiles.Craft(Encoding.UTF8.GetBytes(header), data));
        using var f = SafetensorsFile.Open(path);
        Assert.That(f.ReadFloat32("v"), Is.EqualTo(new[] { 1.5f, -7f }));
    }
}
