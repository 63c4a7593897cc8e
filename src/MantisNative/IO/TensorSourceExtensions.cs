using MantisNative.Tensors;

namespace MantisNative.IO;

/// <summary>Typed reads on any <see cref="ITensorSource"/>: floats (converted from any dtype) and integers.</summary>
public static unsafe class TensorSourceExtensions
{
    /// <summary>
    /// Converts elements [<paramref name="elementOffset"/>, + dst.Length) of the tensor to float32. Reading in chunks
    /// this way serves tensors too large for one array. F32/BF16/F16 convert exactly; I32/I64 round to the nearest
    /// float; U8/BOOL give 0..255 / 0 or 1.
    /// </summary>
    public static void ReadAsFloat32(this ITensorSource src, string name, Span<float> dst, long elementOffset = 0)
    {
        var info = src.GetInfo(name);
        if (elementOffset < 0 || elementOffset > info.ElementCount || dst.Length > info.ElementCount - elementOffset)
            throw new ArgumentOutOfRangeException(nameof(dst),
                $"{src.Location}: tensor '{name}' has {info.ElementCount} elements; cannot read {dst.Length} from element {elementOffset}");
        int size = info.DType.SizeOf();
        byte* p = src.GetPointer(name) + elementOffset * size;
        // Convert in blocks so that a span never exceeds int.MaxValue bytes.
        const int block = 1 << 24;
        for (int done = 0; done < dst.Length; done += block)
        {
            int count = Math.Min(block, dst.Length - done);
            TensorDecode.ToFloat32(info.DType, new ReadOnlySpan<byte>(p + (long)done * size, count * size), dst.Slice(done, count));
        }
    }

    /// <summary>The whole tensor as a new float array, checking the shape when <paramref name="expectedShape"/> is given.</summary>
    public static float[] ReadFloat32(this ITensorSource src, string name, params long[]? expectedShape)
    {
        var info = src.GetInfo(name);
        if (expectedShape is { Length: > 0 }) CheckShape(src, info, expectedShape);
        if (info.ElementCount > Array.MaxLength)
            throw new MantisException($"{src.Location}: tensor '{name}' has {info.ElementCount} elements, too many for one array; read it in chunks");
        var result = new float[info.ElementCount];
        src.ReadAsFloat32(name, result);
        return result;
    }

    /// <summary>An integer (or bool) tensor as longs; a float tensor gives a <see cref="MantisException"/>.</summary>
    public static long[] ReadInt64(this ITensorSource src, string name)
    {
        var info = src.GetInfo(name);
        if (info.ElementCount > Array.MaxLength)
            throw new MantisException($"{src.Location}: tensor '{name}' has {info.ElementCount} elements, too many for one array");
        var result = new long[info.ElementCount];
        if (!TensorDecode.TryToInt64(info.DType, src.GetBytes(name), result))
            throw new MantisException($"{src.Location}: tensor '{name}' has dtype {info.DType.SafetensorsName()}, an integer dtype was expected");
        return result;
    }

    /// <summary>An integer tensor as ints; values outside the int range give a <see cref="MantisException"/>.</summary>
    public static int[] ReadInt32(this ITensorSource src, string name)
    {
        var longs = src.ReadInt64(name);
        var result = new int[longs.Length];
        for (int i = 0; i < longs.Length; i++)
        {
            if (longs[i] < int.MinValue || longs[i] > int.MaxValue)
                throw new MantisException($"{src.Location}: tensor '{name}' element {i} = {longs[i]} does not fit in a 32-bit int");
            result[i] = (int)longs[i];
        }
        return result;
    }

    /// <summary>Throws a <see cref="MantisException"/> naming the tensor when its shape is not <paramref name="expected"/>.</summary>
    public static void CheckShape(this ITensorSource src, TensorInfo info, ReadOnlySpan<long> expected)
    {
        if (!info.ShapeSpan.SequenceEqual(expected))
            throw new MantisException($"{src.Location}: tensor '{info.Name}' has shape {info.ShapeString}, expected [{string.Join(", ", expected.ToArray())}]");
    }
}
