using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace MantisNative;

/// <summary>
/// Checks that input text is valid UTF-8 before it is parsed. System.Text.Json validates structure eagerly but
/// string contents only when a string is read, where a bad byte surfaces as an InvalidOperationException deep in
/// a reader; checking up front gives one message with the byte offset instead.
/// </summary>
public static class Utf8Input
{
    /// <summary>Byte offset of the first invalid UTF-8 sequence, or -1 when the text is valid.</summary>
    public static long FirstInvalid(ReadOnlySpan<byte> text)
    {
        if (Utf8.IsValid(text)) return -1;
        long offset = 0;
        while (!text.IsEmpty)
        {
            if (Rune.DecodeFromUtf8(text, out _, out int used) != OperationStatus.Done) return offset;
            text = text[used..];
            offset += used;
        }
        return -1;
    }

    /// <summary>Throws "WHERE: WHAT is not valid UTF-8 (byte N)" when <paramref name="text"/> has an invalid sequence.</summary>
    public static void EnsureValid(ReadOnlySpan<byte> text, string where, string what)
    {
        long bad = FirstInvalid(text);
        if (bad >= 0) throw new MantisException($"{where}: {what} is not valid UTF-8 (invalid byte 0x{text[(int)bad]:X2} at byte {bad})");
    }
}
