namespace MantisNative.Backends.Cpu.Quantized;

/// <summary>
/// Float rows to codes and scales. Int8: scale = absmax / 127, code = round(w / scale) (ties away from zero), so
/// |error| ≤ scale / 2. NF4: scale = absmax, code = nearest table value of w / absmax. An all-zero block gets scale
/// 0 and code 0 (int8) / 7 (NF4, the exact zero), so it decodes to zeros. Non-finite weights are refused.
/// </summary>
internal static class WeightQuantizer
{
    /// <summary>Only the scales of a row (what <see cref="QuantizeRow"/> writes to <paramref name="scales"/>), without encoding.</summary>
    public static void RowScales(QuantizedFormat format, int blockSize, ReadOnlySpan<float> row, Span<float> scales)
    {
        int blocks = QuantizedMatrix.BlocksFor(row.Length, blockSize);
        for (int b = 0; b < blocks; b++)
        {
            int c0 = b * blockSize;
            var block = row.Slice(c0, Math.Min(blockSize, row.Length - c0));
            float absmax = System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(block);
            absmax = Math.Abs(absmax);
            if (!float.IsFinite(absmax)) throw new MantisException($"quantize: a weight in columns [{c0}, {c0 + block.Length}) is not finite");
            scales[b] = format == QuantizedFormat.Int8 ? absmax / 127f : absmax;
        }
    }

    /// <param name="row">the row's Cols floats</param>
    /// <param name="codes">RowBytes bytes for the row</param>
    /// <param name="scales">BlocksPerRow scales for the row</param>
    public static void QuantizeRow(QuantizedFormat format, int blockSize, ReadOnlySpan<float> row, Span<byte> codes, Span<float> scales)
    {
        int cols = row.Length, blocks = QuantizedMatrix.BlocksFor(cols, blockSize);
        if (codes.Length < QuantizedMatrix.RowBytesFor(format, cols)) throw new ArgumentException("codes too short", nameof(codes));
        if (scales.Length < blocks) throw new ArgumentException("scales too short", nameof(scales));
        if (format == QuantizedFormat.Nf4) codes[..QuantizedMatrix.RowBytesFor(format, cols)].Clear();
        for (int b = 0; b < blocks; b++)
        {
            int c0 = b * blockSize, n = Math.Min(blockSize, cols - c0);
            var block = row.Slice(c0, n);
            float absmax = 0;
            foreach (var v in block)
            {
                if (!float.IsFinite(v)) throw new MantisException($"quantize: weight value {v} at column {c0 + block.IndexOf(v)} is not finite");
                absmax = Math.Max(absmax, Math.Abs(v));
            }
            if (format == QuantizedFormat.Int8)
            {
                float scale = absmax / 127f;
                scales[b] = scale;
                for (int i = 0; i < n; i++)
                    codes[c0 + i] = scale == 0 ? (byte)0 : (byte)(sbyte)Math.Clamp(MathF.Round(block[i] / scale, MidpointRounding.AwayFromZero), -127, 127);
            }
            else
            {
                scales[b] = absmax;
                for (int i = 0; i < n; i++)
                {
                    byte code = absmax == 0 ? (byte)7 : Nf4Codebook.Nearest(block[i] / absmax);
                    int e = c0 + i;
                    codes[e >> 1] |= (byte)((e & 1) == 0 ? code : code << 4);
                }
            }
        }
    }
}
