using System.Runtime.InteropServices;
using MantisNative.IO;
using MantisNative.Tensors;
using NUnit.Framework;

namespace MantisNative.Tests.IO;

public class TensorDecodeTests
{
    /// <summary>The vector path must give the same bits as the scalar conversion, NaNs and infinities included.</summary>
    [Test]
    public void Bf16VectorPathMatchesScalarBitForBit()
    {
        var rng = new Random(5);
        var src = new ushort[1003];
        for (int i = 0; i < src.Length; i++) src[i] = (ushort)rng.Next(0, 65536);
        src[0] = 0x7FC1; src[1] = 0xFF80; src[2] = 0x8000; src[3] = 0x0001;
        var dst = new float[src.Length];
        TensorDecode.ToFloat32(DType.BF16, MemoryMarshal.AsBytes(src.AsSpan()), dst);
        for (int i = 0; i < src.Length; i++)
            Assert.That(BitConverter.SingleToUInt32Bits(dst[i]), Is.EqualTo(BitConverter.SingleToUInt32Bits(FloatConversion.FromBFloat16(src[i]))), $"element {i}");
    }

    [Test]
    public void F16MatchesScalar()
    {
        var src = new ushort[70000];
        for (int i = 0; i < src.Length; i++) src[i] = (ushort)i;
        var dst = new float[src.Length];
        TensorDecode.ToFloat32(DType.F16, MemoryMarshal.AsBytes(src.AsSpan(0, 65536)), dst);
        for (int i = 0; i < 65536; i++)
        {
            float expected = FloatConversion.FromFloat16(src[i]);
            Assert.That(float.IsNaN(dst[i]) ? float.IsNaN(expected) : dst[i].Equals(expected), Is.True, $"bits {i:X4}");
        }
    }

    [Test]
    public void IntegerTypesToFloatAndLong()
    {
        var i32 = new[] { -3, 0, 70000 };
        var f = new float[3];
        TensorDecode.ToFloat32(DType.I32, MemoryMarshal.AsBytes(i32.AsSpan()), f);
        Assert.That(f, Is.EqualTo(new[] { -3f, 0f, 70000f }));
        var l = new long[3];
        Assert.That(TensorDecode.TryToInt64(DType.I32, MemoryMarshal.AsBytes(i32.AsSpan()), l), Is.True);
        Assert.That(l, Is.EqualTo(new long[] { -3, 0, 70000 }));
        Assert.That(TensorDecode.TryToInt64(DType.U8, new byte[] { 0, 255, 7 }, l), Is.True);
        Assert.That(l, Is.EqualTo(new long[] { 0, 255, 7 }));
        Assert.That(TensorDecode.TryToInt64(DType.Bool, new byte[] { 0, 2, 1 }, l), Is.True);
        Assert.That(l, Is.EqualTo(new long[] { 0, 1, 1 }));
        Assert.That(TensorDecode.TryToInt64(DType.F32, new byte[4], l), Is.False);
    }
}
