using MantisNative.Tensors;
using NUnit.Framework;

namespace MantisNative.Tests.Tensors;

public class ConversionTests
{
    private static float F(uint bits) => BitConverter.UInt32BitsToSingle(bits);

    [Test]
    public void BFloat16RoundsToNearestEven()
    {
        Assert.That(FloatConversion.ToBFloat16(1.0f), Is.EqualTo(0x3F80));
        // exactly halfway between 0x3F80 and 0x3F81: tie goes to the even one (0x3F80)
        Assert.That(FloatConversion.ToBFloat16(F(0x3F808000)), Is.EqualTo(0x3F80));
        // halfway between 0x3F81 and 0x3F82: tie goes to 0x3F82
        Assert.That(FloatConversion.ToBFloat16(F(0x3F818000)), Is.EqualTo(0x3F82));
        // just above halfway rounds up, just below rounds down
        Assert.That(FloatConversion.ToBFloat16(F(0x3F808001)), Is.EqualTo(0x3F81));
        Assert.That(FloatConversion.ToBFloat16(F(0x3F807FFF)), Is.EqualTo(0x3F80));
    }

    [Test]
    public void BFloat16KeepsSpecialValues()
    {
        Assert.That(FloatConversion.ToBFloat16(float.PositiveInfinity), Is.EqualTo(0x7F80));
        Assert.That(FloatConversion.ToBFloat16(float.NegativeInfinity), Is.EqualTo(0xFF80));
        Assert.That(FloatConversion.ToBFloat16(-0.0f), Is.EqualTo(0x8000));
        // a NaN whose payload lives only in the low bits must not become infinity
        ushort nan = FloatConversion.ToBFloat16(F(0x7F800001));
        Assert.That(float.IsNaN(FloatConversion.FromBFloat16(nan)), Is.True);
        Assert.That(float.IsNaN(FloatConversion.FromBFloat16(FloatConversion.ToBFloat16(float.NaN))), Is.True);
        // the largest finite float rounds up to infinity in bf16 (as torch does)
        Assert.That(FloatConversion.ToBFloat16(float.MaxValue), Is.EqualTo(0x7F80));
    }

    [Test]
    public void BFloat16Subnormals()
    {
        // smallest float subnormal 2^-149: rounds to zero (below half of bf16's smallest subnormal 2^-133)
        Assert.That(FloatConversion.ToBFloat16(F(0x00000001)), Is.EqualTo(0x0000));
        // a bf16 subnormal survives exactly
        Assert.That(FloatConversion.ToBFloat16(F(0x00010000)), Is.EqualTo(0x0001));
        Assert.That(FloatConversion.FromBFloat16(0x0001), Is.EqualTo(F(0x00010000)));
        // tie between subnormals 0x0001 and 0x0002 goes to even
        Assert.That(FloatConversion.ToBFloat16(F(0x00018000)), Is.EqualTo(0x0002));
    }

    [Test]
    public void Float16EdgeValues()
    {
        Assert.That(FloatConversion.ToFloat16(65504f), Is.EqualTo(0x7BFF));
        Assert.That(FloatConversion.ToFloat16(65520f), Is.EqualTo(0x7C00), "halfway past max rounds to infinity");
        Assert.That(FloatConversion.ToFloat16(1f + 1f / 2048), Is.EqualTo(0x3C00), "tie to even");
        Assert.That(FloatConversion.FromFloat16(0x0001), Is.EqualTo(MathF.Pow(2, -24)), "smallest subnormal");
        Assert.That(float.IsNaN(FloatConversion.FromFloat16(0x7E00)), Is.True);
    }

    [Test]
    public void TensorConvertsBetweenDtypes()
    {
        using var t = Tensor.FromArray(new[] { 1.5f, -2.25f, 3.0f }, 3);
        using var b = t.To(DType.BF16);
        Assert.That(b.DType, Is.EqualTo(DType.BF16));
        Assert.That(b.ToArray(), Is.EqualTo(new[] { 1.5f, -2.25f, 3.0f }));
        using var i = t.To(DType.I64);
        Assert.That(i.AsSpan<long>().ToArray(), Is.EqualTo(new long[] { 1, -2, 3 }));
    }

    [Test]
    public unsafe void StorageIsAlignedAndViewsShareIt()
    {
        using var t = Tensor.Zeros(3, 5);
        Assert.That((long)t.Data % 64, Is.EqualTo(0));
        using var v = t.View(5, 3);
        v.Span[4] = 7f;
        Assert.That(t.Span[4], Is.EqualTo(7f));
        t.Dispose();
        Assert.That(v.Span[4], Is.EqualTo(7f), "the view keeps the memory alive");
    }
}
